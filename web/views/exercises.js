// The exercises view (issue #14): placeholder until the view lands.
export function mount(root) {
  root.textContent = "Exercises are coming.";
  return { unmount() {} };
}
