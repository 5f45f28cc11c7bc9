// "Copy" beside an address: shown only where JavaScript runs (without it the address is selectable text).
(() => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        field.focus();
        field.select();
        document.execCommand("copy"); // older phone browsers, and pages not served over https
      }
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
  for (const field of document.querySelectorAll("input.secret[readonly]")) {
    field.addEventListener("focus", () => field.select());
  }
})();
