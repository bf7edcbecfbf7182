package pg

import (
	"regexp"
	"strings"
	"testing"

	"hoso/tracking"
)

// TestAlarmQueriesFollowTheRules: one query pair per rule of the domain,
// each raising and clearing its own kind at the rule's level, and the
// status lists written out in SQL (as the partial indexes are) equal the
// domain's.
func TestAlarmQueriesFollowTheRules(t *testing.T) {
	byKind := map[tracking.AlarmKind]alarmQuery{}
	for _, q := range alarmQueries {
		if _, dup := byKind[q.kind]; dup {
			t.Errorf("two query pairs for %s", q.kind)
		}
		byKind[q.kind] = q
	}
	level := regexp.MustCompile(`, (\d),\s*json_build_object\(`)
	for _, r := range tracking.AlarmRules {
		q, ok := byKind[r.Kind]
		if !ok {
			t.Errorf("rule %s has no query in internal/pg/alarms.go", r.Kind)
			continue
		}
		delete(byKind, r.Kind)
		if !strings.Contains(q.raise, "SELECT '"+string(r.Kind)+"',") {
			t.Errorf("%s: the raise inserts another kind", r.Kind)
		}
		if !strings.Contains(q.clear, "a.kind = '"+string(r.Kind)+"'") {
			t.Errorf("%s: the clear touches another kind", r.Kind)
		}
		if m := level.FindStringSubmatch(q.raise); m == nil || m[1] != string(rune('0'+r.Level)) {
			t.Errorf("%s: raised at level %v, the rule says %d", r.Kind, m, r.Level)
		}
		if r.Label == "" || r.Raise == "" || r.Clear == "" || r.Subject == "" {
			t.Errorf("%s: the rule is not described: %+v", r.Kind, r)
		}
		if r.Kind.Label() != r.Label {
			t.Errorf("%s: Label() %q", r.Kind, r.Kind.Label())
		}
	}
	for k := range byKind {
		t.Errorf("query pair for %s, which no rule describes", k)
	}
	list := func(sts []tracking.Status) string {
		q := make([]string, len(sts))
		for i, s := range sts {
			q[i] = "'" + string(s) + "'"
		}
		return "p.status IN (" + strings.Join(q, ", ") + ")"
	}
	for kind, want := range map[tracking.AlarmKind]string{
		tracking.AlarmWindowMissed: list(tracking.WindowStatuses),
		tracking.AlarmDeadlineRisk: list(tracking.DeadlineRiskStatuses),
		tracking.AlarmResultLate:   list(tracking.ResultLateStatuses),
	} {
		q := alarmQuery{}
		for _, x := range alarmQueries {
			if x.kind == kind {
				q = x
			}
		}
		if !strings.Contains(q.raise, want) || !strings.Contains(q.clear, strings.Replace(want, " IN ", " NOT IN ", 1)) {
			t.Errorf("%s: the SQL's statuses differ from the domain's %s", kind, want)
		}
	}
	if tracking.AlarmKind("khac").Label() != "khac" {
		t.Error("an unknown kind is not named by itself")
	}
}
