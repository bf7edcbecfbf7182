package tracking

import "hoso/internal/errs"

// Term is one code of a closed vocabulary with its label in plain
// Vietnamese.
type Term[C ~string] struct {
	Code  C
	Label string
}

// Vocabulary is a closed list of codes (failure reasons, causes, actions,
// problems, conditions) in the order forms offer them. Events carry the
// code; pages, messages and reports show the label.
type Vocabulary[C ~string] struct {
	terms []Term[C]
}

func vocabulary[C ~string](terms ...Term[C]) Vocabulary[C] { return Vocabulary[C]{terms: terms} }

// Terms lists the vocabulary in its order.
func (v Vocabulary[C]) Terms() []Term[C] { return append([]Term[C](nil), v.terms...) }

// Has reports whether c is in the vocabulary.
func (v Vocabulary[C]) Has(c C) bool {
	for _, t := range v.terms {
		if t.Code == c {
			return true
		}
	}
	return false
}

// Label is c's label, "" for a code outside the vocabulary.
func (v Vocabulary[C]) Label(c C) string {
	for _, t := range v.terms {
		if t.Code == c {
			return t.Label
		}
	}
	return ""
}

// Parse reads a code from outside (a form, a stored row).
func (v Vocabulary[C]) Parse(s string) (C, error) {
	if v.Has(C(s)) {
		return C(s), nil
	}
	return "", errs.E(errs.Invalid, "mã không hợp lệ: %q", s)
}

// PickupFailReason is why a pickup attempt failed.
type PickupFailReason string

// The reasons a pickup attempt fails.
const (
	FailNotHome          PickupFailReason = "not_home"
	FailDocumentsMissing PickupFailReason = "documents_missing"
	FailRefused          PickupFailReason = "refused"
	FailAddressNotFound  PickupFailReason = "address_not_found"
	FailOther            PickupFailReason = "other"
)

// PickupFailReasons are the reason codes of a failed pickup attempt.
var PickupFailReasons = vocabulary(
	Term[PickupFailReason]{FailNotHome, "Công dân không có nhà"},
	Term[PickupFailReason]{FailDocumentsMissing, "Thiếu giấy tờ"},
	Term[PickupFailReason]{FailRefused, "Công dân từ chối"},
	Term[PickupFailReason]{FailAddressNotFound, "Không tìm thấy địa chỉ"},
	Term[PickupFailReason]{FailOther, "Lý do khác"},
)

// Label is the reason in plain Vietnamese.
func (r PickupFailReason) Label() string { return PickupFailReasons.Label(r) }

// DeliveryCause is why a delivery attempt failed (VNPost carries a cause
// and an action code on every failed attempt; ours do too).
type DeliveryCause string

// The causes of a failed delivery attempt.
const (
	CauseNotHome          DeliveryCause = "not_home"
	CauseWrongAddress     DeliveryCause = "wrong_address"
	CauseRefused          DeliveryCause = "refused"
	CauseIDMismatch       DeliveryCause = "id_mismatch"
	CauseNoFee            DeliveryCause = "no_fee"
	CauseUnreachablePhone DeliveryCause = "unreachable_phone"
	CauseSealBroken       DeliveryCause = "seal_broken"
	CauseOther            DeliveryCause = "other"
)

// DeliveryCauses are the cause codes of a failed delivery attempt.
var DeliveryCauses = vocabulary(
	Term[DeliveryCause]{CauseNotHome, "Người nhận vắng nhà"},
	Term[DeliveryCause]{CauseWrongAddress, "Sai địa chỉ"},
	Term[DeliveryCause]{CauseRefused, "Người nhận từ chối"},
	Term[DeliveryCause]{CauseIDMismatch, "Không xác minh được người nhận"},
	Term[DeliveryCause]{CauseNoFee, "Người nhận chưa thanh toán phí"},
	Term[DeliveryCause]{CauseUnreachablePhone, "Không liên lạc được"},
	Term[DeliveryCause]{CauseSealBroken, "Niêm phong bị rách hoặc không khớp"},
	Term[DeliveryCause]{CauseOther, "Lý do khác"},
)

// Label is the cause in plain Vietnamese.
func (c DeliveryCause) Label() string { return DeliveryCauses.Label(c) }

// DeliveryAction is what happens after a failed delivery attempt.
type DeliveryAction string

// The actions after a failed delivery attempt.
const (
	ActionRetryNextDay DeliveryAction = "retry_next_day"
	ActionRetrySameDay DeliveryAction = "retry_same_day"
	ActionHoldAtOffice DeliveryAction = "hold_at_office"
	ActionCall         DeliveryAction = "call_recipient"
	ActionReturnToDesk DeliveryAction = "return_to_desk"
)

// DeliveryActions are the action codes after a failed delivery attempt.
var DeliveryActions = vocabulary(
	Term[DeliveryAction]{ActionRetryNextDay, "Giao lại ngày hôm sau"},
	Term[DeliveryAction]{ActionRetrySameDay, "Giao lại trong ngày"},
	Term[DeliveryAction]{ActionHoldAtOffice, "Lưu tại bưu cục, chờ người nhận đến lấy"},
	Term[DeliveryAction]{ActionCall, "Gọi điện hẹn lại"},
	Term[DeliveryAction]{ActionReturnToDesk, "Trả về nơi tiếp nhận"},
)

// Label is the action in plain Vietnamese.
func (a DeliveryAction) Label() string { return DeliveryActions.Label(a) }

// IncompleteReason is why a desk returns a dossier as incomplete.
type IncompleteReason string

// The reasons a desk returns a dossier.
const (
	IncompleteMissingDocuments IncompleteReason = "missing_documents"
	IncompleteInvalidDocuments IncompleteReason = "invalid_documents"
	IncompleteWrongProcedure   IncompleteReason = "wrong_procedure"
	IncompleteWrongDesk        IncompleteReason = "wrong_desk"
	IncompleteOther            IncompleteReason = "other"
)

// IncompleteReasons are the reasons a desk returns a dossier as incomplete.
var IncompleteReasons = vocabulary(
	Term[IncompleteReason]{IncompleteMissingDocuments, "Thiếu thành phần hồ sơ"},
	Term[IncompleteReason]{IncompleteInvalidDocuments, "Giấy tờ không hợp lệ"},
	Term[IncompleteReason]{IncompleteWrongProcedure, "Sai thủ tục"},
	Term[IncompleteReason]{IncompleteWrongDesk, "Không đúng nơi tiếp nhận"},
	Term[IncompleteReason]{IncompleteOther, "Lý do khác"},
)

// Label is the reason in plain Vietnamese.
func (r IncompleteReason) Label() string { return IncompleteReasons.Label(r) }

// DisputeProblem is what a receiver found wrong at a hand-off.
type DisputeProblem string

// The problems a receiver reports.
const (
	ProblemMissingParcel   DisputeProblem = "missing_parcel"
	ProblemSealBroken      DisputeProblem = "seal_broken"
	ProblemSealMismatch    DisputeProblem = "seal_mismatch"
	ProblemDocumentMissing DisputeProblem = "document_missing"
	ProblemCountMismatch   DisputeProblem = "count_mismatch"
	ProblemDamaged         DisputeProblem = "damaged"
)

// DisputeProblems are the problems of a disputed hand-off.
var DisputeProblems = vocabulary(
	Term[DisputeProblem]{ProblemMissingParcel, "Thiếu bưu gửi"},
	Term[DisputeProblem]{ProblemSealBroken, "Niêm phong bị rách"},
	Term[DisputeProblem]{ProblemSealMismatch, "Mã niêm phong không khớp"},
	Term[DisputeProblem]{ProblemDocumentMissing, "Thiếu giấy tờ"},
	Term[DisputeProblem]{ProblemCountMismatch, "Số bản không khớp"},
	Term[DisputeProblem]{ProblemDamaged, "Giấy tờ hư hỏng"},
)

// Label is the problem in plain Vietnamese.
func (p DisputeProblem) Label() string { return DisputeProblems.Label(p) }

// Condition is a document's state as counted.
type Condition string

// The conditions of a counted document.
const (
	ConditionGood    Condition = "good"
	ConditionDamaged Condition = "damaged"
	ConditionMissing Condition = "missing"
)

// Conditions are the states of a document as counted.
var Conditions = vocabulary(
	Term[Condition]{ConditionGood, "Nguyên vẹn"},
	Term[Condition]{ConditionDamaged, "Hư hỏng"},
	Term[Condition]{ConditionMissing, "Không có"},
)

// Label is the condition in plain Vietnamese.
func (c Condition) Label() string { return Conditions.Label(c) }
