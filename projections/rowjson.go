package projections

import (
	"fmt"
	"math"
	"strconv"

	"github.com/acv-registry/acv/domain"
)

// The JSON of the rows a rebuild writes most of, and of the asset's page,
// byte for byte as encoding/json marshals them: a register entry per
// register version, and an asset's public view when it is asked for. Reflection and Date.MarshalText (which
// formats with fmt.Sprintf) made json.Marshal the largest single cost of
// deriving and laying out rows. TestEntryJSON and TestViewJSON hold these
// encoders to json.Marshal and to the types' fields, so a new field fails
// there until it is written here.

// jsonOut appends one JSON value made of objects and arrays. first is
// whether the object being written has no member yet; err is the first
// value JSON cannot hold.
type jsonOut struct {
	b     []byte
	first bool
	err   error
}

func (o *jsonOut) open()  { o.b = append(o.b, '{'); o.first = true }
func (o *jsonOut) close() { o.b = append(o.b, '}'); o.first = false }

// key starts the member k.
func (o *jsonOut) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *jsonOut) str(k, s string) { o.key(k); o.b = appendJSONString(o.b, s) }

// strOmit is str of a field tagged omitempty.
func (o *jsonOut) strOmit(k, s string) {
	if s != "" {
		o.str(k, s)
	}
}

func (o *jsonOut) num(k string, n int64) { o.key(k); o.b = strconv.AppendInt(o.b, n, 10) }

// boolOmit is a bool tagged omitempty.
func (o *jsonOut) boolOmit(k string, v bool) {
	if v {
		o.key(k)
		o.b = append(o.b, "true"...)
	}
}

// date writes d as Date.MarshalText does: "" for the zero date.
func (o *jsonOut) date(k string, d domain.Date) {
	o.key(k)
	o.b = append(o.b, '"')
	o.b = appendDate(o.b, d)
	o.b = append(o.b, '"')
}

// dateOmit is date of a field tagged omitzero (Date.IsZero).
func (o *jsonOut) dateOmit(k string, d domain.Date) {
	if !d.IsZero() {
		o.date(k, d)
	}
}

// point writes p, a field tagged omitempty.
func (o *jsonOut) point(k string, p *domain.Point) {
	if p == nil {
		return
	}
	o.key(k)
	o.open()
	o.key("lat")
	o.float(p.Lat)
	o.key("lon")
	o.float(p.Lon)
	o.close()
}

// float appends f as encoding/json writes a float64: the shortest decimal,
// in exponent form only below 1e-6 or from 1e21; NaN and the infinities,
// which JSON cannot hold, are an error.
func (o *jsonOut) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if o.err == nil {
			o.err = fmt.Errorf("unsupported value %v", f)
		}
		o.b = append(o.b, '0')
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	o.b = strconv.AppendFloat(o.b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9, as encoding/json
		if n := len(o.b); n >= 4 && o.b[n-4] == 'e' && o.b[n-3] == '-' && o.b[n-2] == '0' {
			o.b[n-2] = o.b[n-1]
			o.b = o.b[:n-1]
		}
	}
}

// array writes the member k, a slice of n elements (nil: null), unless
// omitEmpty and it has none; elem writes element i.
func (o *jsonOut) array(k string, n int, isNil, omitEmpty bool, elem func(i int)) {
	if omitEmpty && n == 0 {
		return
	}
	o.key(k)
	if isNil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i := range n {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		elem(i)
	}
	o.b = append(o.b, ']')
	o.first = false
}

// appendEntryJSON appends e as json.Marshal would.
func appendEntryJSON(b []byte, e *RegisterEntry) ([]byte, error) {
	o := jsonOut{b: b}
	o.entry(e)
	if o.err != nil {
		return nil, fmt.Errorf("register entry: %w", o.err)
	}
	return o.b, nil
}

func (o *jsonOut) entry(e *RegisterEntry) {
	o.open()
	o.str("reference", e.Reference)
	o.str("asset_id", e.AssetID)
	o.str("name", e.Name)
	o.strOmit("address_text", e.AddressText)
	o.strOmit("postcode", e.Postcode)
	o.strOmit("uprn", e.UPRN)
	o.strOmit("description", e.Description)
	o.point("point", e.Point)
	o.str("organisation", e.Organisation)
	o.strOmit("nominating_group", e.NominatingGroup)
	o.dateOmit("nomination_date", e.NominationDate)
	o.strOmit("decision", e.Decision)
	o.dateOmit("decision_date", e.DecisionDate)
	o.dateOmit("entry_date", e.EntryDate)
	o.dateOmit("expiry_date", e.ExpiryDate)
	o.str("status", e.Status)
	o.dateOmit("notification_to_sell_date", e.NotificationToSellDate)
	o.dateOmit("interim_moratorium_end_date", e.InterimMoratoriumEndDate)
	o.dateOmit("full_moratorium_end_date", e.FullMoratoriumEndDate)
	o.dateOmit("protected_period_end_date", e.ProtectedPeriodEndDate)
	o.strOmit("interested_group", e.InterestedGroup)
	o.dateOmit("removal_date", e.RemovalDate)
	o.strOmit("removal_reason", e.RemovalReason)
	o.dateOmit("start_date", e.StartDate)
	o.dateOmit("end_date", e.EndDate)
	o.close()
}

// appendViewJSON appends v as json.Marshal would.
func appendViewJSON(b []byte, v *AssetView) ([]byte, error) {
	o := jsonOut{b: b}
	o.open()
	o.str("id", v.ID)
	o.str("reference", v.Reference)
	o.str("council", v.Council)
	o.str("name", v.Name)
	o.strOmit("address_text", v.AddressText)
	o.strOmit("postcode", v.Postcode)
	o.strOmit("uprn", v.UPRN)
	o.strOmit("description", v.Description)
	o.point("point", v.Point)
	o.strOmit("category", v.Category)
	o.str("status", v.Status)
	o.num("version", v.Version)
	o.strOmit("nominating_group", v.NominatingGroup)
	o.strOmit("owner", v.Owner)
	o.array("nominations", len(v.Nominations), v.Nominations == nil, false, func(i int) {
		n := &v.Nominations[i]
		o.open()
		o.str("id", n.ID)
		o.date("nomination_date", n.NominationDate)
		o.str("nominating_group", n.NominatingGroup)
		o.str("nominator_kind", n.NominatorKind)
		o.date("decision_due", n.DecisionDue)
		o.strOmit("decision", n.Decision)
		o.dateOmit("decision_date", n.DecisionDate)
		o.boolOmit("decided_late", n.DecidedLate)
		o.strOmit("reasons", n.Reasons)
		o.close()
	})
	if v.Entry != nil {
		o.key("entry")
		o.entry(v.Entry)
	}
	o.array("clocks", len(v.Clocks), v.Clocks == nil, false, func(i int) {
		c := &v.Clocks[i]
		o.open()
		o.str("name", c.Name)
		o.strOmit("subject", c.Subject)
		o.date("start", c.Start)
		o.date("end", c.End)
		o.str("status", c.Status)
		o.str("rule", c.Rule)
		o.str("regime", c.Regime)
		o.close()
	})
	o.array("moratoria", len(v.Moratoria), v.Moratoria == nil, true, func(i int) {
		m := &v.Moratoria[i]
		o.open()
		o.str("asset_id", m.AssetID)
		o.str("council", m.Council)
		o.str("notice_id", m.NoticeID)
		o.date("notice_received", m.NoticeReceived)
		o.date("interim_end", m.InterimEnd)
		o.date("full_end", m.FullEnd)
		o.date("protected_end", m.ProtectedEnd)
		o.key("full_moratorium")
		o.b = strconv.AppendBool(o.b, m.FullMoratorium)
		o.strOmit("interested_group", m.InterestedGroup)
		o.strOmit("outcome", m.Outcome)
		o.close()
	})
	o.strOmit("interested_group", v.InterestedGroup)
	o.array("bids", len(v.Bids), v.Bids == nil, true, func(i int) {
		bv := &v.Bids[i]
		o.open()
		o.str("id", bv.ID)
		o.str("bidder", bv.Bidder)
		o.num("amount_pence", bv.AmountPence)
		o.date("submitted_on", bv.SubmittedOn)
		o.str("status", bv.Status)
		o.close()
	})
	o.array("disposals", len(v.Disposals), v.Disposals == nil, true, func(i int) {
		d := &v.Disposals[i]
		o.open()
		o.str("id", d.ID)
		o.str("kind", d.Kind)
		o.strOmit("exemption_code", d.ExemptionCode)
		o.strOmit("buyer", d.Buyer)
		o.date("on", d.On)
		o.boolOmit("in_breach", d.InBreach)
		o.strOmit("breach_rule", d.BreachRule)
		o.close()
	})
	o.close()
	if o.err != nil {
		return nil, fmt.Errorf("asset view: %w", o.err)
	}
	return o.b, nil
}
