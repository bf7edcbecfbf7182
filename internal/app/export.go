package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// ExportRecord is one event in the shape of a UPU EMSEVT record: item id,
// event code, office, time.
type ExportRecord struct {
	Seq            int64
	TrackingNumber string
	Type           string
	UpuCode        string
	ServerAt       time.Time
	DeviceAt       *time.Time
	ActorKind      string
	Office         string
	Leg            string
}

// ExportStore pages through events.
type ExportStore interface {
	ExportEvents(ctx context.Context, from, to time.Time, afterSeq int64, withoutCode bool, limit int) ([]ExportRecord, error)
}

// exportJSON is the record as written: field names after EMSEVT (mailitm_fid,
// event_cd, event_office_cd, event_date_time) plus ours.
type exportJSON struct {
	MailitmFID    string `json:"mailitm_fid"`
	EventCode     string `json:"event_cd"`
	EventOffice   string `json:"event_office_cd"`
	EventDateTime string `json:"event_date_time"`
	DeviceTime    string `json:"device_date_time,omitempty"`
	InternalEvent string `json:"internal_event"`
	Leg           string `json:"leg"`
	Seq           int64  `json:"seq"`
}

// ExportEvents writes the events between from and to (local days) as CSV or
// JSON (one array). Events without a UPU code are left out unless all is set.
func ExportEvents(ctx context.Context, st ExportStore, w io.Writer, from, to time.Time, format string, all bool) (int, error) {
	if format != "csv" && format != "json" {
		return 0, fmt.Errorf("format must be csv or json, got %q", format)
	}
	var cw *csv.Writer
	if format == "csv" {
		cw = csv.NewWriter(w)
		if err := cw.Write([]string{"mailitm_fid", "event_cd", "event_office_cd", "event_date_time", "device_date_time", "internal_event", "leg", "seq"}); err != nil {
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
			j := exportJSON{MailitmFID: r.TrackingNumber, EventCode: r.UpuCode, EventOffice: r.Office,
				EventDateTime: r.ServerAt.In(vn).Format(time.RFC3339), InternalEvent: r.Type, Leg: r.Leg, Seq: r.Seq}
			if r.DeviceAt != nil {
				j.DeviceTime = r.DeviceAt.In(vn).Format(time.RFC3339)
			}
			if cw != nil {
				if err := cw.Write([]string{j.MailitmFID, j.EventCode, j.EventOffice, j.EventDateTime, j.DeviceTime, j.InternalEvent, j.Leg, strconv.FormatInt(j.Seq, 10)}); err != nil {
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
