package tracking_test

import (
	"testing"

	"hoso/internal/errs"
	"hoso/tracking"
)

func TestVocabularies(t *testing.T) {
	if got := tracking.FailNotHome.Label(); got != "Công dân không có nhà" {
		t.Errorf("label %q", got)
	}
	if tracking.PickupFailReason("asleep").Label() != "" || tracking.PickupFailReasons.Has("asleep") {
		t.Error("a code outside the list has a label")
	}
	if _, err := tracking.DeliveryCauses.Parse("NOT_HOME"); !errs.Is(err, errs.Invalid) {
		t.Errorf("codes are exact: %v", err)
	}
	if c, err := tracking.DeliveryCauses.Parse("seal_broken"); err != nil || c != tracking.CauseSealBroken {
		t.Errorf("parse %q %v", c, err)
	}
	// Forms show the lists in their order; every code once, every label set.
	lists := map[string][]string{}
	for _, x := range tracking.IncompleteReasons.Terms() {
		lists["incomplete"] = append(lists["incomplete"], string(x.Code)+"="+x.Label)
	}
	for _, x := range tracking.DisputeProblems.Terms() {
		lists["dispute"] = append(lists["dispute"], string(x.Code)+"="+x.Label)
	}
	for _, x := range tracking.Conditions.Terms() {
		lists["condition"] = append(lists["condition"], string(x.Code)+"="+x.Label)
	}
	if lists["incomplete"][0] != "missing_documents=Thiếu thành phần hồ sơ" || len(lists["dispute"]) != 6 || len(lists["condition"]) != 3 {
		t.Errorf("lists %v", lists)
	}
	terms := tracking.DeliveryActions.Terms()
	terms[0].Label = "changed"
	if tracking.ActionRetryNextDay.Label() == "changed" {
		t.Error("Terms hands out the vocabulary itself")
	}
}
