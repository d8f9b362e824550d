// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // The language switch submits on change; its button stays for keyboard and no-JS users.
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Buttons that ask before acting: data-confirm="message".
  document.querySelectorAll("[data-confirm]").forEach((element) => {
    element.addEventListener("click", (event) => {
      if (!window.confirm(element.dataset.confirm)) event.preventDefault();
    });
  });
});

// Bootstrap progress bars take their width from data-progress="0–100" (no inline styles, for the CSP).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-progress]").forEach((bar) => {
    const percent = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0));
    bar.style.width = `${percent}%`;
  });
});

// Quick-minute buttons fill the minutes input named in data-quick-minutes-for.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-quick-minutes-for]").forEach((group) => {
    const input = document.getElementById(group.dataset.quickMinutesFor);
    if (!input) return;
    group.classList.remove("d-none");
    group.querySelectorAll("[data-minutes]").forEach((button) => {
      button.addEventListener("click", () => {
        input.value = button.dataset.minutes;
        input.focus();
      });
    });
  });
});

// A checkbox with data-check-all="CSS selector" ticks the boxes it names; it shows as ticked
// only while all of them are. Delegated, so it also works in content swapped in by htmx.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
  if (box.dataset.checkAll) {
    document.querySelectorAll(box.dataset.checkAll).forEach((other) => {
      other.checked = box.checked;
    });
  }
  document.querySelectorAll("input[data-check-all]").forEach((master) => {
    if (master === box) return;
    const members = [...document.querySelectorAll(master.dataset.checkAll)];
    if (members.length) master.checked = members.every((member) => member.checked);
  });
});
