// Tells the kernel how many device pixels the page has per CSS pixel (window.devicePixelRatio),
// at first display and again whenever it changes (browser zoom, a window moved to another screen).
function render({ model }) {
  let query = null;
  const report = () => {
    model.set("ratio", window.devicePixelRatio);
    model.save_changes();
    query = window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
    query.addEventListener("change", report, { once: true });
  };
  report();
  return () => query && query.removeEventListener("change", report);
}

export default { render };
