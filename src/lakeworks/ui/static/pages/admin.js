// The admin page: revoking a token calls the REST API (DELETE /tokens/<id>), then reloads.
"use strict";
(() => {
  for (const button of document.querySelectorAll("button[data-revoke]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await lw.api("DELETE", `/tokens/${button.dataset.revoke}`);
        location.reload();
      } catch (failure) {
        lw.notice(failure.message, true);
        button.disabled = false;
      }
    });
  }
})();
