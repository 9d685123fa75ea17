// Copy buttons: the only script. Pages work without it; with it, each code block gets a button that copies its text.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    const target = document.getElementById(button.dataset.copy);
    if (!target || !navigator.clipboard) continue;
    button.hidden = false;
    const label = button.textContent;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(target.innerText);
        button.textContent = document.documentElement.lang === "en" ? "Copied" : "Đã chép";
      } catch {
        button.textContent = document.documentElement.lang === "en" ? "Copy failed" : "Không chép được";
      }
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
});
