// Searchable pickers: select2 (shipped with sqladmin) on every <select data-role="picker">.
jQuery(function ($) {
  $('select[data-role="picker"]').each(function () {
    $(this).select2({ width: "100%", allowClear: true, placeholder: "—" });
  });
});
