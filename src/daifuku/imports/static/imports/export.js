/* Export links carry the list's current filters (the filter form changes the list through htmx
 * without reloading the page, so the filters are read from the form at click time). */
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-export-link]");
  if (!link) return;
  const form = document.querySelector("form[data-filter-form]");
  if (!form) return;
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (value && !key.endsWith("_label")) params.append(key, value);
  }
  params.set("format", link.dataset.format);
  link.href = `${link.pathname}?${params.toString()}`;
});
