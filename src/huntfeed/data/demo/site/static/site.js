// Demo chrome only: dismiss the cookie banner and copy the page link.
document.addEventListener("DOMContentLoaded", () => {
  const banner = document.getElementById("cookie-banner");
  for (const button of document.querySelectorAll("#cookie-banner button")) {
    button.addEventListener("click", () => banner.classList.add("hidden"));
  }
  for (const button of document.querySelectorAll("button.copy-link")) {
    button.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(button.dataset.url));
  }
});
