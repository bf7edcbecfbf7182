package web

import (
	"encoding/json"

	"hoso/tracking"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func parseParty(s string) (tracking.Party, error) { return tracking.ParseParty(s) }
