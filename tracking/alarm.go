package tracking

import "time"

// AlarmKind names an alarm rule: what went quiet or late. It is stored in
// alarms.kind and served in the alarms API.
type AlarmKind string

// The alarm rules' kinds, in the order AlarmRules describes them.
const (
	AlarmHandoffUnconfirmed AlarmKind = "handoff_unconfirmed"
	AlarmManifestOpen       AlarmKind = "manifest_open"
	AlarmParcelQuiet        AlarmKind = "parcel_quiet"
	AlarmWindowMissed       AlarmKind = "window_missed"
	AlarmDeadlineRisk       AlarmKind = "deadline_risk"
	AlarmOutsideZone        AlarmKind = "outside_zone"
	AlarmIncidentOpen       AlarmKind = "incident_open"
	AlarmEvidencePending    AlarmKind = "evidence_pending"
	AlarmResultLate         AlarmKind = "result_late"
	AlarmComplaintOverdue   AlarmKind = "complaint_overdue"
)

// AlarmRule is one alarm rule: its kind, the words staff read, when it is
// raised (its threshold), when it clears, and the level it starts at. A
// sweep raises an alarm once per cause (the rule's kind and its subject),
// escalates it while nobody acknowledges it and clears it when the cause
// ends. The PostgreSQL adapter holds one raise and one clear query per rule.
type AlarmRule struct {
	Kind    AlarmKind
	Label   string // Vietnamese, as staff read it on the alarms page
	Subject string // what one alarm is about (one open alarm per subject)
	Raise   string // the cause and its threshold
	Clear   string // what ends the cause
	Level   int    // level when raised
}

// AlarmRules is every alarm rule.
var AlarmRules = []AlarmRule{
	{AlarmHandoffUnconfirmed, "Bàn giao chưa được bên nhận xác nhận", "a hand-off",
		"a release still pending at its deadline (Policy.ConfirmWithin after the release, 30 min by default)",
		"the hand-off is confirmed, disputed or recalled", 1},
	{AlarmManifestOpen, "Bảng kê quá hạn mà bên nhận chưa xác nhận đủ", "a manifest",
		"a manifest its receiver has not closed by its deadline (Policy.ConfirmWithin after it was made)",
		"the manifest is closed", 1},
	{AlarmParcelQuiet, "Bưu gửi nằm yên quá thời hạn", "a parcel in one status",
		"a parcel in a status longer than that status's limit in QuietLimits",
		"the parcel's status changes", 1},
	{AlarmWindowMissed, "Quá khung giờ thu gom mà chưa có lần đến", "a parcel",
		"the end of the last pickup window offered passed while the parcel is in WindowStatuses (no attempt)",
		"an attempt or a collection, or a later window", 1},
	{AlarmDeadlineRisk, "Nguy cơ trễ hạn giải quyết hồ sơ", "a parcel",
		"the postal legs used their share (half by default) of the working days to the dossier's legal deadline while the parcel is in DeadlineRiskStatuses: counted in working days with the desk's calendar (Calendar.RiskAt), at the start of that working day, so a Tết week or a weekend eats nothing",
		"the parcel reaches the desk", 1},
	{AlarmOutsideZone, "Địa chỉ ngoài vùng phục vụ của mọi bưu cục", "a parcel",
		"a requested parcel whose commune is in no post office's zone, at once",
		"an office is given to the parcel, or it is no longer requested", 1},
	{AlarmIncidentOpen, "Sai lệch khi bàn giao, chưa xử lý", "an incident",
		"a dispute at a hand-off not yet resolved, at once",
		"the incident is resolved", 2},
	{AlarmEvidencePending, "Hết ca mà máy chủ chưa nhận được ảnh chữ ký làm bằng chứng", "a courier's submission",
		"a collection or delivery whose proof image has not reached the server by the end of the courier's shift that day (EvidenceDueWithoutShift after midnight, Vietnam time, without a shift)",
		"the proof arrives or the submission is resolved", 1},
	{AlarmResultLate, "Quá ngày hẹn trả mà kết quả chưa đến tay người dân", "a parcel of the return leg",
		"the result is in ResultLateStatuses (not delivered) at the end of the appointment date (ngày hẹn trả kết quả) the desk set at acceptance, midnight Vietnam time; without one, at the end of the ReturnWithinWorkingDays-th working day (the desk's calendar and Saturday rule) after the desk registered the result",
		"the result is delivered or goes back to the desk", 1},
	{AlarmComplaintOverdue, "Phản ánh của người dân quá hạn 2 ngày làm việc mà chưa được trả lời", "a citizen's complaint",
		"an open complaint with no answer at its answer deadline (ComplaintAnswerDays working days after it was made, the working-day calendar), raised for the unit it was routed to",
		"the first answer, or the complaint is closed", 1},
}

// Rule returns the kind's rule.
func (k AlarmKind) Rule() (AlarmRule, bool) {
	for _, r := range AlarmRules {
		if r.Kind == k {
			return r, true
		}
	}
	return AlarmRule{}, false
}

// Label is the kind's Vietnamese name (the kind itself when unknown).
func (k AlarmKind) Label() string {
	if r, ok := k.Rule(); ok {
		return r.Label
	}
	return string(k)
}

// QuietLimit is how long a parcel may sit in some statuses before the
// parcel_quiet rule raises.
type QuietLimit struct {
	Statuses []Status
	Limit    time.Duration
}

// QuietLimits are the parcel_quiet rule's thresholds: a courier holds a
// parcel at most 10 h (past the end of a shift), an office 24 h, a request
// waits 24 h for a schedule, a result 48 h at the desk, a dossier 72 h for
// the desk's decision.
var QuietLimits = []QuietLimit{
	{[]Status{StatusCollected, StatusToDesk, StatusWithCourier, StatusOutForDelivery, StatusDeliveryFailed}, 10 * time.Hour},
	{[]Status{StatusAtOffice, StatusHeld}, 24 * time.Hour},
	{[]Status{StatusRequested, StatusPickupFailed}, 24 * time.Hour},
	{[]Status{StatusReady}, 48 * time.Hour},
	{[]Status{StatusAtDesk}, 72 * time.Hour},
}

// WindowStatuses are the statuses in which a passed pickup window raises
// window_missed: nobody has come yet.
var WindowStatuses = []Status{StatusRequested, StatusScheduled}

// DeadlineRiskStatuses are the pickup leg's statuses before the desk, in
// which deadline_risk applies.
var DeadlineRiskStatuses = []Status{StatusRequested, StatusScheduled, StatusPickupFailed, StatusCollected, StatusAtOffice, StatusToDesk}

// ResultLateStatuses are the return leg's statuses before the citizen has
// the result, in which result_late applies.
var ResultLateStatuses = []Status{StatusReady, StatusWithCourier, StatusAtOffice, StatusOutForDelivery, StatusDeliveryFailed, StatusHeld}

// ReturnWithinWorkingDays is result_late's threshold for a result without
// an appointment date: delivered within this many working days after the
// desk registered it.
const ReturnWithinWorkingDays = 3

// EvidenceDueWithoutShift is when a proof image is due, after midnight
// Vietnam time, for a courier with no shift that day.
const EvidenceDueWithoutShift = 18 * time.Hour
