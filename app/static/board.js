// The presenter's screens: the arrow keys and Page Up / Page Down (what a presentation
// clicker sends) follow the page's previous and next links, which work without this script.
// Keys typed in a form field, or used to scroll a table's region, are left alone.
document.addEventListener("keydown", function (event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
    return;
  }
  var rel = { ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev" }[event.key];
  if (!rel || event.target.closest("input, textarea, select, [role=region], [contenteditable]")) {
    return;
  }
  var link = document.querySelector('a[rel="' + rel + '"]');
  if (link) {
    event.preventDefault();
    window.location.assign(link.href);
  }
});
