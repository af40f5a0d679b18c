// Polls the import's progress; reloads once to show the report when it ends.
(function () {
  var box = document.getElementById("import");
  if (!box || box.dataset.finished === "1") return;
  function show(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value === null || value === undefined ? "—" : value;
  }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        document.getElementById("import-bar").value = data.percent;
        show("import-status", data.status_label);
        show("import-rows", data.rows);
        show("import-percent", data.percent);
        show("import-rate", data.rows_per_second);
        show("import-left", data.seconds_left);
        if (data.finished) { window.location.reload(); return; }
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
