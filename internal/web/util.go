package web

import (
	"context"
	"encoding/json"

	"hoso/internal/vntext"
	"hoso/tracking"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func parseParty(s string) (tracking.Party, error) { return tracking.ParseParty(s) }

type contextCtx = context.Context

func initials(s string) string { return vntext.Initials(s) }

func maskLast3(s string) string { return vntext.MaskLast3(s) }
