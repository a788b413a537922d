package generate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/acv-registry/acv/domain"
)

// council is a responsible authority with its share of the nominations.
type council struct {
	code     string  // ONS/GSS code
	weight   float64 // relative number of nominations it receives
	lat, lon float64 // centre of its area
	area     string  // postcode area letters
	towns    []string
}

// councilKinds are the GSS code prefixes and how many councils of each
// kind the generator makes: unitary authorities, districts, metropolitan
// boroughs, London boroughs. Real codes are sparser; these are plausible.
var councilKinds = []struct {
	prefix string
	share  float64
}{{"E06", 77.0 / 310}, {"E07", 164.0 / 310}, {"E08", 36.0 / 310}, {"E09", 33.0 / 310}}

// newCouncils makes n councils spread over England, with lognormal weights:
// a few councils receive many nominations, many receive a handful.
func newCouncils(rng *rand.Rand, n int) []*council {
	var cs []*council
	for k, kind := range councilKinds {
		count := int(math.Round(kind.share * float64(n)))
		if k == len(councilKinds)-1 {
			count = n - len(cs)
		}
		for i := 1; i <= count; i++ {
			c := &council{
				code:   fmt.Sprintf("%s%06d", kind.prefix, i),
				weight: math.Exp(rng.NormFloat64() * 0.8),
				lat:    50.3 + rng.Float64()*4.9,
				lon:    -4.8 + rng.Float64()*6.3,
				area:   string(rune('A'+rng.IntN(26))) + string(rune('A'+rng.IntN(26))),
			}
			if kind.prefix == "E09" { // London
				c.lat, c.lon, c.area = 51.35+rng.Float64()*0.35, -0.45+rng.Float64()*0.7, []string{"N", "E", "SE", "SW", "W", "NW", "EC", "WC"}[rng.IntN(8)]
			}
			for t := 0; t < 4+rng.IntN(8); t++ {
				c.towns = append(c.towns, townName(rng))
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// pick returns a council chosen by weight; total is the sum of weights.
func pick(rng *rand.Rand, cs []*council, total float64) *council {
	x := rng.Float64() * total
	for _, c := range cs {
		if x -= c.weight; x < 0 {
			return c
		}
	}
	return cs[len(cs)-1]
}

var (
	townStart = []string{"Ash", "Brad", "Chel", "Dun", "Elm", "Fair", "Glen", "Hart", "Ing", "Kings", "Lang", "Mar",
		"Nor", "Oak", "Pen", "Red", "Sal", "Thorn", "Up", "Wal", "West", "Whit", "Wood", "Brom", "Cran", "Hen", "Lid", "Stan"}
	townEnd = []string{"ford", "ton", "ham", "bury", "field", "ley", "wick", "by", "stead", "worth", "borough", "combe",
		"den", "hurst", "well", "bridge", "minster", "thorpe"}
	streets = []string{"High Street", "Church Lane", "Station Road", "Mill Lane", "Market Place", "The Green",
		"Victoria Road", "London Road", "Park Road", "School Lane", "Chapel Street", "Queen Street", "Bridge Street", "North Road"}
	pubFirst = []string{"Red", "White", "Black", "Golden", "Royal", "Old", "King's", "Queen's", "Green", "Blue", "Rising", "Jolly"}
	pubLast  = []string{"Lion", "Hart", "Swan", "Bull", "Horse", "Crown", "Anchor", "Plough", "Bell", "Stag", "Fox", "Oak",
		"Ship", "Sun", "Star", "Boar", "Harrow", "Wheatsheaf", "Feathers", "Cross Keys"}
	reasons = []string{
		"Used every week by local clubs and societies; the community wants it to continue.",
		"The only meeting place in the village; it hosts quizzes, darts teams and the parish's events.",
		"Open to everyone for informal recreation, dog walking and children's play for generations.",
		"A hub for older residents and young families; its loss would harm the community's social wellbeing.",
		"Home of the local football and cricket teams; used for recreation and sport all year.",
	}
)

func townName(rng *rand.Rand) string {
	return townStart[rng.IntN(len(townStart))] + townEnd[rng.IntN(len(townEnd))]
}

// categories are what nominated land is, with their shares of nominations.
var categories = []struct {
	name  string
	share float64
}{
	{"pub", 0.41}, {"green_space", 0.15}, {"community_centre", 0.10}, {"sports", 0.08}, {"library", 0.06},
	{"shop", 0.05}, {"church_hall", 0.04}, {"post_office", 0.02}, {"cinema", 0.02}, {"school", 0.02}, {"other", 0.05},
}

// newLand makes a piece of land in council c.
func newLand(rng *rand.Rand, c *council) domain.Land {
	town := c.towns[rng.IntN(len(c.towns))]
	x, category := rng.Float64(), "other"
	for _, cat := range categories {
		if x -= cat.share; x < 0 {
			category = cat.name
			break
		}
	}
	l := domain.Land{
		Address:  fmt.Sprintf("%d %s, %s", 1+rng.IntN(220), streets[rng.IntN(len(streets))], town),
		Postcode: fmt.Sprintf("%s%d %d%c%c", c.area, 1+rng.IntN(30), rng.IntN(10), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26))),
		Use:      domain.NonResidential,
		Category: category,
		Point:    &domain.Point{Lat: round6(c.lat + rng.NormFloat64()*0.08), Lon: round6(c.lon + rng.NormFloat64()*0.12)},
		Boundaries: []string{"as shown edged red on the nomination plan", "the building, car park and garden",
			"the whole of the field within its hedges"}[rng.IntN(3)],
	}
	if rng.IntN(3) == 0 {
		l.UPRN = fmt.Sprint(100000000 + rng.IntN(900000000))
	}
	switch category {
	case "pub":
		l.Name = "The " + pubFirst[rng.IntN(len(pubFirst))] + " " + pubLast[rng.IntN(len(pubLast))]
		l.Description = "Public house with a function room and garden; a flat above"
		l.Use = domain.PartlyResidential
	case "green_space":
		l.Name = town + " " + []string{"Recreation Ground", "Green", "Park", "Allotments", "Playing Field", "Meadow"}[rng.IntN(6)]
		l.Description = "Open green space used by the community"
	case "sports":
		l.Name = town + " " + []string{"Cricket Ground", "Football Ground", "Bowling Green", "Tennis Club"}[rng.IntN(4)]
		l.Description = "Sports ground with a pavilion"
	case "other":
		l.Name = "Former " + []string{"Chapel", "Police Station", "Bank", "Fire Station", "Swimming Baths"}[rng.IntN(5)] + ", " + town
		l.Description = "A building the community would like to bring back into use"
	default:
		l.Name = town + " " + map[string]string{"community_centre": "Community Centre", "library": "Library", "shop": "Village Shop",
			"church_hall": "Church Hall", "post_office": "Post Office", "cinema": "Picture House", "school": "Old School"}[category]
		l.Description = "A " + category + " used by the local community"
	}
	if rng.Float64() < 0.015 { // a few nominations are of land that can never be listed
		l.Use = []domain.LandUse{domain.Residence, domain.CaravanSite, domain.OperationalLand}[rng.IntN(3)]
	}
	return l
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// nominatorKinds are the forms of nominating bodies and their shares.
var nominatorKinds = []struct {
	kind  domain.BodyKind
	share float64
}{
	{domain.ParishCouncil, 0.25}, {domain.UnincorporatedBody, 0.20}, {domain.Charity, 0.15},
	{domain.CooperativeSociety, 0.14}, {domain.CompanyLimitedByGuarantee, 0.10},
	{domain.CommunityInterestCompany, 0.11}, {domain.NeighbourhoodForum, 0.05},
}

// newBody makes a community body in town of kind (any kind when "").
func (g *generator) newBody(town string, kind domain.BodyKind) domain.Body {
	rng := g.rng
	if kind == "" {
		x := rng.Float64()
		kind = domain.CommunityInterestCompany
		for _, k := range nominatorKinds {
			if x -= k.share; x < 0 {
				kind = k.kind
				break
			}
		}
	}
	g.bodies++
	b := domain.Body{ID: fmt.Sprintf("org-group-%d", g.bodies), Kind: kind, LocalConnection: rng.Float64() > 0.01}
	switch kind {
	case domain.ParishCouncil:
		b.ID, b.Name, b.LocalConnection = fmt.Sprintf("parish-council:%d", g.bodies), town+" Parish Council", true
	case domain.UnincorporatedBody:
		b.Name = "Friends of " + town
		b.LocalElectorMembers = 15 + rng.IntN(120) // a few have fewer than 21
	case domain.NeighbourhoodForum:
		b.Name = town + " Neighbourhood Forum"
	case domain.Charity:
		b.Name = town + " Community Trust"
	case domain.CooperativeSociety:
		b.Name = town + " Community Pub Society"
	case domain.CompanyLimitedByGuarantee:
		b.Name = town + " Community Association"
	default:
		b.Name = town + " Community Enterprise CIC"
	}
	return b
}

// newOwner makes an owner: mostly companies, some public bodies, some
// private individuals (whose names the API never shows).
func (g *generator) newOwner(c *council) domain.Party {
	g.owners++
	switch x := g.rng.Float64(); {
	case x < 0.10:
		return domain.Party{ID: fmt.Sprintf("person-%d", g.owners), Name: fmt.Sprintf("%c. %s", 'A'+rune(g.rng.IntN(26)), []string{"Smith", "Jones", "Taylor", "Brown", "Evans", "Walker"}[g.rng.IntN(6)])}
	case x < 0.22:
		return domain.Party{ID: "local-authority:" + c.code, Name: "Council estates, " + c.code, PublicBody: true}
	}
	return domain.Party{ID: fmt.Sprintf("org-owner-%d", g.owners),
		Name: pubLast[g.rng.IntN(len(pubLast))] + " " + []string{"Inns", "Estates", "Properties", "Holdings", "Taverns", "Land"}[g.rng.IntN(6)] + " Ltd"}
}
