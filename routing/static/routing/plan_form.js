// The new route plan page (/routing/plans/new/): once a depot is chosen, only the vehicles the plan may offer are
// listed. The plan belongs to the depot's department when that is the user's own or one below it, else to the
// user's (routing.services.plans.plan_department), and it offers that department's vehicles and its teams'. The
// depot's options and the vehicles' checkboxes carry their department's path (data-department, "/1/7/").
(function () {
  const depot = document.getElementById("id_depot");
  const pick = document.getElementById("vehicle-pick");
  const note = document.getElementById("vehicle-filter-note");
  if (!depot || !pick || !note) return;
  const own = pick.dataset.department || "";
  const boxes = Array.from(pick.querySelectorAll("input[type=checkbox][data-department]"));

  function planDepartment() {
    const option = depot.options[depot.selectedIndex];
    const path = option && option.dataset.department;
    if (!path) return "";
    return !own || path.startsWith(own) ? path : own;
  }

  function filter() {
    const department = planDepartment();
    let shown = 0;
    boxes.forEach((box) => {
      const offered = !department || box.dataset.department.startsWith(department);
      const row = box.closest("label").parentElement;
      row.hidden = !offered;
      if (!offered) box.checked = false;  // a hidden vehicle is never sent
      if (offered) shown += 1;
    });
    note.hidden = !department;
    note.textContent = department
      ? `${shown} of ${boxes.length} vehicles: those of the depot's department (choose another depot for others).`
      : "";
  }

  depot.addEventListener("change", filter);
  filter();
})();
