package web

import (
	"github.com/gofiber/fiber/v2"

	"hoso/dispatch"
	"hoso/internal/errs"
)

// ---------- map data ----------

type mapPoint [2]float64 // [lat, lng], as Leaflet takes it

type mapOffice struct {
	Code string   `json:"code"`
	Name string   `json:"name"`
	At   mapPoint `json:"at"`
}

type mapZone struct {
	Office   string         `json:"office"`
	Own      bool           `json:"own"`
	Cells    int            `json:"cells"`
	Polygons [][][]mapPoint `json:"polygons"`
}

type mapStop struct {
	Seq     int      `json:"seq"`
	Kind    string   `json:"kind"` // pickup or delivery
	Number  string   `json:"number"`
	At      mapPoint `json:"at"`
	ETA     string   `json:"eta"`
	Window  string   `json:"window"`
	Visited bool     `json:"visited,omitempty"`
	Pinned  bool     `json:"pinned,omitempty"`
	Commune string   `json:"commune"`
	Address string   `json:"address"`          // masked (app.MaskAddressLine)
	Approx  bool     `json:"approx,omitempty"` // placed at the commune's centre
}

type mapRoute struct {
	Courier string     `json:"courier"`
	Name    string     `json:"name"`
	Colour  int        `json:"colour"`
	Path    []mapPoint `json:"path"`
	Stops   []mapStop  `json:"stops"`
	Break   *mapBreak  `json:"break,omitempty"`
}

// mapBreak is a route's lunch break: after its first After stops.
type mapBreak struct {
	After int    `json:"after"`
	Start string `json:"start"`
	End   string `json:"end"`
}

type mapUnplaced struct {
	Number  string   `json:"number"`
	At      mapPoint `json:"at"`
	Reason  string   `json:"reason"`
	Commune string   `json:"commune"`
	Address string   `json:"address"`
	Approx  bool     `json:"approx,omitempty"`
}

type mapData struct {
	Province string        `json:"province"`
	Office   mapOffice     `json:"office"`
	Offices  []mapOffice   `json:"offices"`
	Zones    []mapZone     `json:"zones"`
	Routes   []mapRoute    `json:"routes"`
	Unplaced []mapUnplaced `json:"unplaced"`
}

func mp(p dispatch.Point) mapPoint { return mapPoint{p.Lat, p.Lng} }

// dispatchMapJSON is what the map draws: offices, zones and, when a day is
// given, the plan's routes and unplaced requests.
func (s *Server) dispatchMapJSON(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.Query("bc"), c.Query("ngay"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	out := mapData{Province: office.ProvinceCode, Office: mapOffice{office.Code, office.Name, mapPoint{office.Lat, office.Lng}},
		Offices: []mapOffice{}, Zones: []mapZone{}, Routes: []mapRoute{}, Unplaced: []mapUnplaced{}}
	offices, err := s.d.Dispatch.Offices(ctx, u)
	if err != nil {
		return err
	}
	for _, o := range offices {
		if o.ProvinceCode == office.ProvinceCode {
			out.Offices = append(out.Offices, mapOffice{o.Code, o.Name, mapPoint{o.Lat, o.Lng}})
		}
	}
	shapes, err := s.d.Dispatch.ZoneShapes(ctx, u, office.ProvinceCode)
	if err != nil {
		return err
	}
	for _, z := range shapes {
		mz := mapZone{Office: z.Office, Own: z.Office == office.Code, Cells: z.Cells}
		for _, poly := range z.Polygons {
			var rings [][]mapPoint
			for _, ring := range poly {
				r := make([]mapPoint, len(ring))
				for i, p := range ring {
					r[i] = mp(p)
				}
				rings = append(rings, r)
			}
			mz.Polygons = append(mz.Polygons, rings)
		}
		out.Zones = append(out.Zones, mz)
	}
	if c.Query("ngay") != "" {
		plan, err := s.d.Dispatch.Plan(ctx, u, office.Code, day)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil {
			couriers, err := s.d.Dispatch.Couriers(ctx, u, office.Code)
			if err != nil {
				return err
			}
			shifts, err := s.d.Dispatch.Shifts(ctx, u, office.Code, day, day)
			if err != nil {
				return err
			}
			pins, err := s.d.Dispatch.Pins(ctx, u, office.Code, day)
			if err != nil {
				return err
			}
			pinned := map[string]bool{}
			for _, x := range pins {
				pinned[x.Parcel] = true
			}
			var ids []string
			for _, r := range plan.Routes {
				for _, st := range r.Stops {
					ids = append(ids, st.Parcel)
				}
			}
			for _, un := range plan.Unplaced {
				ids = append(ids, un.Parcel)
			}
			places, err := s.d.Dispatch.StopPlaces(ctx, u, office.Code, ids)
			if err != nil {
				return err
			}
			colour, names := map[string]int{}, map[string]string{}
			for i, cr := range couriers {
				colour[cr.Ref], names[cr.Ref] = i%courierColours, cr.Name
			}
			home := dispatch.Point{Lat: office.Lat, Lng: office.Lng}
			for _, r := range plan.Routes {
				start, end := home, home
				for _, sh := range shifts {
					if sh.Courier == r.Courier {
						if !sh.StartPlace.IsZero() {
							start = sh.StartPlace
						}
						if !sh.EndPlace.IsZero() {
							end = sh.EndPlace
						}
					}
				}
				mr := mapRoute{Courier: r.Courier, Name: names[r.Courier], Colour: colour[r.Courier], Path: []mapPoint{mp(start)}}
				if b := r.Break; b != nil {
					mr.Break = &mapBreak{After: b.After, Start: b.Start.In(vietnam).Format("15:04"), End: b.End.In(vietnam).Format("15:04")}
				}
				for _, st := range r.Stops {
					kind := dispatch.KindPickup
					if st.Kind.IsDelivery() {
						kind = dispatch.KindDelivery
					}
					mr.Path = append(mr.Path, mp(st.Point))
					pl := places[st.Parcel]
					mr.Stops = append(mr.Stops, mapStop{Seq: st.Seq, Kind: string(kind), Number: st.Number, At: mp(st.Point),
						ETA: st.ETA.In(vietnam).Format("15:04"), Window: st.Window.Label(), Visited: st.Visited, Pinned: pinned[st.Parcel],
						Commune: pl.Commune, Address: pl.AddressLine, Approx: pl.Approx})
				}
				mr.Path = append(mr.Path, mp(end))
				out.Routes = append(out.Routes, mr)
			}
			for _, un := range plan.Unplaced {
				pl := places[un.Parcel]
				out.Unplaced = append(out.Unplaced, mapUnplaced{Number: un.Number, At: mp(un.Point), Reason: un.Reason.Label(),
					Commune: pl.Commune, Address: pl.AddressLine, Approx: pl.Approx})
			}
		}
	}
	return c.JSON(out)
}

// dispatchOutlines serves a province's and its communes' outlines, which
// never change while the server runs.
func (s *Server) dispatchOutlines(c *fiber.Ctx) error {
	b, err := s.d.Dispatch.ProvinceGeoJSON(c.UserContext(), currentUser(c), c.Params("province"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/geo+json")
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	return c.Send(b)
}
