// A button with data-confirm asks before submitting its form (no inline handler: the
// Content-Security-Policy allows only scripts from files).
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
