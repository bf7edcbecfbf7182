package web

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/vntext"
)

// ---------- zones ----------

type communeOpt struct {
	Code, Name, Owner string
	Checked           bool
}

type zonesPage struct {
	Tabs       []dispatchTab
	Offices    []app.ZoneSummary
	Office     app.PostOffice
	Communes   []communeOpt
	Mode       string
	Replace    bool
	Skip       bool
	Add        string
	Remove     string
	Errors     map[string]string
	Summary    []fieldError
	Flash      string
	Unzoned    []unzonedView
	MapURL     string
	Outlines   string
	Tiles      string // HOSO_MAP_TILES, empty: outlines only
	Res        int
	AnyChecked bool
}

func (s *Server) dispatchZonesPage(c *fiber.Ctx) error {
	return s.renderZones(c, fiber.StatusOK, c.Query("bc"), nil, nil)
}

// zonesFormName is the kept form (Post/Redirect/Get, forms.go) of an
// office's zone forms: a refused cover or cell edit comes back only on that
// office's page, to the session that typed it.
func zonesFormName(office string) string { return "dispatch-zones:" + office }

// zoneFields maps the zone forms' errors to their inputs, in the page's
// order, each named in the summary.
var zoneFields = fieldSpec{
	IDs:   map[string]string{"communes": "xa-dau-tien", "cells": "xa-dau-tien", "mode": "cach-phu", "add": "o-them", "remove": "o-bot"},
	Order: []string{"xa-dau-tien", "cach-phu", "o-them", "o-bot"},
	Label: labelOf(map[string]string{"xa-dau-tien": "Xã, phường", "cach-phu": "Ô nào tính là của xã", "o-them": "Thêm ô", "o-bot": "Bỏ ô"}),
}

// zonesFormOf reads the zone forms' values (posted or kept).
func zonesFormOf(get func(string) string, communes []string) *zonesPage {
	form := &zonesPage{Mode: get("cach_phu"), Replace: get("thay_the") == "1", Skip: get("bo_qua") == "1", Add: get("them"), Remove: get("bot")}
	if form.Mode == "" {
		form.Mode = "center"
	}
	for _, code := range communes {
		form.Communes = append(form.Communes, communeOpt{Code: code, Checked: true})
	}
	return form
}

// zonesBack answers a refused zone form: Post/Redirect/Get to the office's
// zones page with everything typed and the messages beside their fields,
// or, when that cannot be kept (too much typed for a cookie), the page
// itself with 422.
func (s *Server) zonesBack(c *fiber.Ctx, office string, kept url.Values, form *zonesPage, formErr error) error {
	if s.keepWhole(c, zonesFormName(office), kept, formErr) {
		return c.Redirect(dispatchBase+"/vung?bc="+url.QueryEscape(office), fiber.StatusSeeOther)
	}
	return s.renderZones(c, fiber.StatusUnprocessableEntity, office, form, formErr)
}

func (s *Server) renderZones(c *fiber.Ctx, status int, officeCode string, form *zonesPage, formErr error) error {
	u, office, _, err := s.dispatchScope(c, officeCode, "")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if form == nil {
		if kept, kerr, ok := s.takeForm(c, zonesFormName(office.Code)); ok {
			// Back from a refused form: as it was typed, the messages
			// beside their fields.
			form, formErr = zonesFormOf(kept.Get, kept["xa"]), kerr
		}
	}
	p := zonesPage{Office: office, Mode: "center", Skip: true, Flash: flashFor(c), Res: app.ZoneRes,
		Tabs: dispatchTabs(dispatchBase+"/vung", scopeQuery(office.Code, dispatch.Day{}))}
	checked := map[string]bool{}
	if form != nil {
		p.Mode, p.Replace, p.Skip, p.Add, p.Remove = form.Mode, form.Replace, form.Skip, form.Add, form.Remove
		for _, cm := range form.Communes {
			checked[cm.Code] = cm.Checked
			p.AnyChecked = p.AnyChecked || cm.Checked
		}
		p.Errors, p.Summary = mapFieldErrors(formErr, zoneFields)
		p.Flash = ""
	}
	if p.Offices, err = s.d.Dispatch.Zones(ctx, u); err != nil {
		return err
	}
	owners, err := s.d.Dispatch.CommuneOwners(ctx, u, office.ProvinceCode)
	if err != nil {
		return err
	}
	for _, cm := range s.d.Units.CommunesOf(office.ProvinceCode) {
		p.Communes = append(p.Communes, communeOpt{Code: cm.Code, Name: cm.FullName, Owner: owners[cm.Code], Checked: checked[cm.Code]})
	}
	sort.SliceStable(p.Communes, func(i, j int) bool { return vntext.Fold(p.Communes[i].Name) < vntext.Fold(p.Communes[j].Name) })
	if p.Unzoned, err = s.unzoned(ctx, u, office.ProvinceCode); err != nil {
		return err
	}
	p.MapURL = dispatchBase + "/ban-do.json?bc=" + url.QueryEscape(office.Code)
	p.Outlines = dispatchBase + "/ranh-gioi/" + office.ProvinceCode
	p.Tiles = s.d.MapTiles
	v := s.viewFor(c, "Vùng phục vụ của bưu cục", p)
	v.Style = []string{"vendor/leaflet/leaflet.css", "css/dispatch.css"}
	v.Script = []string{"vendor/leaflet/leaflet.js", "js/dispatch-map.js"}
	return s.pageStatus(c, status, "dispatch_zones", v)
}

func (s *Server) dispatchCover(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	var codes []string
	for _, v := range c.Request().PostArgs().PeekMulti("xa") {
		codes = append(codes, string(v))
	}
	kept := postedValues(c, []string{"cach_phu", "thay_the", "bo_qua"})
	kept["xa"] = codes
	form := zonesFormOf(kept.Get, codes)
	res, err := s.d.Dispatch.CoverCommunes(c.UserContext(), u, app.CoverRequest{Office: office.Code, Communes: codes, Mode: form.Mode,
		Replace: form.Replace, SkipTaken: form.Skip})
	if err != nil {
		if userError(err) {
			return s.zonesBack(c, office.Code, kept, form, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/vung?bc=%s&tb=vung&n=%d&m=%d", dispatchBase, url.QueryEscape(office.Code), res.Cells, res.Added), fiber.StatusSeeOther)
}

func splitCells(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (s *Server) dispatchCells(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	form := &zonesPage{Mode: "center", Skip: true, Add: c.FormValue("them"), Remove: c.FormValue("bot")}
	res, err := s.d.Dispatch.EditCells(c.UserContext(), u, office.Code, splitCells(form.Add), splitCells(form.Remove))
	if err != nil {
		if userError(err) {
			// The cover form above comes back as it is first shown.
			kept := url.Values{"them": {form.Add}, "bot": {form.Remove}, "cach_phu": {"center"}, "bo_qua": {"1"}}
			return s.zonesBack(c, office.Code, kept, form, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/vung?bc=%s&tb=vung&n=%d&m=%d", dispatchBase, url.QueryEscape(office.Code), res.Cells, res.Added), fiber.StatusSeeOther)
}
