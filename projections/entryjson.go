package projections

import (
	"fmt"
	"math"
	"strconv"

	"github.com/acv-registry/acv/domain"
)

// appendEntryJSON appends e as encoding/json would marshal it, byte for
// byte: a rebuild writes one entry per register version, and json.Marshal's
// reflection and Date.MarshalText (fmt.Sprintf) made it the largest cost of
// laying the register's rows out. TestEntryJSON holds it to json.Marshal
// and to RegisterEntry's fields.
func appendEntryJSON(b []byte, e *RegisterEntry) ([]byte, error) {
	str := func(key, s string, omitEmpty bool) {
		if omitEmpty && s == "" {
			return
		}
		b = append(b, key...)
		b = appendJSONString(b, s)
	}
	date := func(key string, d domain.Date) { // omitzero: Date.IsZero
		if d.IsZero() {
			return
		}
		b = append(b, key...)
		b = append(b, '"')
		b = append(b, dateText(d)...)
		b = append(b, '"')
	}
	b = append(b, '{')
	str(`"reference":`, e.Reference, false)
	str(`,"asset_id":`, e.AssetID, false)
	str(`,"name":`, e.Name, false)
	str(`,"address_text":`, e.AddressText, true)
	str(`,"postcode":`, e.Postcode, true)
	str(`,"uprn":`, e.UPRN, true)
	str(`,"description":`, e.Description, true)
	if p := e.Point; p != nil {
		var err error
		b = append(b, `,"point":{"lat":`...)
		if b, err = appendJSONFloat(b, p.Lat); err != nil {
			return nil, err
		}
		b = append(b, `,"lon":`...)
		if b, err = appendJSONFloat(b, p.Lon); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	str(`,"organisation":`, e.Organisation, false)
	str(`,"nominating_group":`, e.NominatingGroup, true)
	date(`,"nomination_date":`, e.NominationDate)
	str(`,"decision":`, e.Decision, true)
	date(`,"decision_date":`, e.DecisionDate)
	date(`,"entry_date":`, e.EntryDate)
	date(`,"expiry_date":`, e.ExpiryDate)
	str(`,"status":`, e.Status, false)
	date(`,"notification_to_sell_date":`, e.NotificationToSellDate)
	date(`,"interim_moratorium_end_date":`, e.InterimMoratoriumEndDate)
	date(`,"full_moratorium_end_date":`, e.FullMoratoriumEndDate)
	date(`,"protected_period_end_date":`, e.ProtectedPeriodEndDate)
	str(`,"interested_group":`, e.InterestedGroup, true)
	date(`,"removal_date":`, e.RemovalDate)
	str(`,"removal_reason":`, e.RemovalReason, true)
	date(`,"start_date":`, e.StartDate)
	date(`,"end_date":`, e.EndDate)
	return append(b, '}'), nil
}

// appendJSONFloat appends f as encoding/json writes a float64: the shortest
// decimal, in exponent form only below 1e-6 or from 1e21, and an error for
// NaN and the infinities, which JSON cannot hold.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("point: unsupported value %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9, as encoding/json
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}
