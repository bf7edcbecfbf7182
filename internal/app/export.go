package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"hoso/internal/vntext"
	"hoso/tracking"
)

// ExportRecord is one event with what its EMSEVT record needs: where it
// happened and where it goes next as national postal codes, the event's
// data (for the EMH codes and the EMI signatory) and the citizen's name
// (for the initials policy only: never written out whole).
type ExportRecord struct {
	Seq            int64
	Cursor         int64 // the event's index in the transparency log (commit order); -1 when not asked for
	TrackingNumber string
	Type           string
	UpuCode        string
	ServerAt       time.Time
	DeviceAt       *time.Time
	ActorKind      string
	Leg            string
	Data           []byte
	OfficePostal   string
	NextPostal     string
	CitizenName    string
}

// ExportStore pages through events.
type ExportStore interface {
	ExportEvents(ctx context.Context, from, to time.Time, afterSeq int64, withoutCode bool, limit int) ([]ExportRecord, error)
}

// PostalRecord is an event as written for a postal system: the EMSEVT
// fields (tracking.EMSEVT) and ours after them.
type PostalRecord struct {
	tracking.EMSEVT
	RecordedAt    string `json:"recorded_date_time"`
	InternalEvent string `json:"internal_event"`
	Leg           string `json:"leg"`
	Seq           int64  `json:"seq"`
	Cursor        string `json:"cursor,omitempty"`
}

// PostalCSVHeader is the header row of the CSV form.
var PostalCSVHeader = []string{"mailitm_fid", "event_cd", "event_office_cd", "event_date_time", "next_office_cd",
	"non_delivery_reason_cd", "non_delivery_measure_cd", "signatory_nm", "recorded_date_time", "internal_event", "leg", "seq", "cursor"}

// CSV is the record as a CSV row in PostalCSVHeader's order.
func (r PostalRecord) CSV() []string {
	return []string{r.MailItemID, r.EventCode, r.EventOffice, r.EventDateTime, r.NextOffice, r.NonDeliveryReason,
		r.NonDeliveryMeasure, r.Signatory, r.RecordedAt, r.InternalEvent, r.Leg, strconv.FormatInt(r.Seq, 10), r.Cursor}
}

// ToPostal makes the record of an event under a signatory policy
// (tracking.SignatoryRole or SignatoryInitials).
func (r ExportRecord) ToPostal(policy string) PostalRecord {
	at := r.ServerAt
	if r.DeviceAt != nil && !r.DeviceAt.IsZero() {
		at = *r.DeviceAt
	}
	f := tracking.EMSEVTFacts{Number: r.TrackingNumber, Leg: tracking.Leg(r.Leg), Type: tracking.EventType(r.Type), UPU: r.UpuCode,
		Actor: tracking.PartyKind(r.ActorKind), At: at, Data: r.Data, OfficePostal: r.OfficePostal, NextPostal: r.NextPostal,
		CitizenName: r.CitizenName}
	p := PostalRecord{EMSEVT: tracking.MakeEMSEVT(f, vn, policy, vntext.Initials), RecordedAt: r.ServerAt.In(vn).Format(time.RFC3339),
		InternalEvent: r.Type, Leg: r.Leg, Seq: r.Seq}
	if r.Cursor >= 0 {
		p.Cursor = strconv.FormatInt(r.Cursor, 10)
	}
	return p
}

// ExportEvents writes the events between from and to (local days) as CSV or
// JSON (one array). Events without a UPU code are left out unless all is set.
func ExportEvents(ctx context.Context, st ExportStore, w io.Writer, from, to time.Time, format string, all bool, policy string) (int, error) {
	if format != "csv" && format != "json" {
		return 0, fmt.Errorf("format must be csv or json, got %q", format)
	}
	var cw *csv.Writer
	if format == "csv" {
		cw = csv.NewWriter(w)
		if err := cw.Write(PostalCSVHeader); err != nil {
			return 0, err
		}
	} else if _, err := io.WriteString(w, "[\n"); err != nil {
		return 0, err
	}
	n := 0
	var after int64
	for {
		recs, err := st.ExportEvents(ctx, from, to, after, all, 5000)
		if err != nil {
			return n, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			j := r.ToPostal(policy)
			if cw != nil {
				if err := cw.Write(j.CSV()); err != nil {
					return n, err
				}
			} else {
				b, err := json.Marshal(j)
				if err != nil {
					return n, err
				}
				sep := ",\n"
				if n == 0 {
					sep = ""
				}
				if _, err := io.WriteString(w, sep+string(b)); err != nil {
					return n, err
				}
			}
			n++
			after = r.Seq
		}
	}
	if cw != nil {
		cw.Flush()
		return n, cw.Error()
	}
	_, err := io.WriteString(w, "\n]\n")
	return n, err
}

var vn = time.FixedZone("ICT", 7*3600)
