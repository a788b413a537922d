package demo

import "github.com/acv-registry/acv/domain"

// demoAssets are the dozen assets and their stories.
func demoAssets() []asset {
	brewery := company("org-brewery", "Harvest Brewery plc")
	pubco := company("org-pubco", "Village Inns Ltd")
	council := domain.Party{ID: "org-council-estates", Name: "Stockport Council Estates", PublicBody: true}
	return []asset{
		{MidSussex, pub("The Red Lion", "1 High Street, Lindfield, Haywards Heath", "RH16 2HL", 51.0136, -0.0822),
			group("g-redlion", "Friends of the Red Lion", domain.CommunityInterestCompany), pubco,
			func(s *step) error { _, err := s.nominate(10); return err }}, // awaiting decision
		{MidSussex, pub("The Bent Arms", "Station Road, Burgess Hill", "RH15 9DQ", 50.9563, -0.1311),
			group("g-bent", "Burgess Hill Pub Society", domain.CooperativeSociety), brewery,
			func(s *step) error { _, err := s.nominate(70); return err }}, // decision overdue (Regs reg 7)
		{MidSussex, place("Cuckfield Library", "library", "Broad Street, Cuckfield", "RH17 5LJ", 51.0061, -0.1432),
			group("g-cuckfield", "Cuckfield Parish Council", domain.ParishCouncil), council,
			func(s *step) error {
				nid, err := s.nominate(400)
				if err != nil {
					return err
				}
				return s.list(nid, 360)
			}},
		{MidSussex, place("Victoria Park", "green_space", "Victoria Road, Haywards Heath", "RH16 4LR", 50.9985, -0.1009),
			group("g-victoria", "Victoria Park Friends", domain.Charity), company("org-parks", "Park Holdings Ltd"),
			func(s *step) error { // listed; the owner has asked for a review
				nid, err := s.nominate(120)
				if err != nil {
					return err
				}
				if err := s.list(nid, 60); err != nil {
					return err
				}
				return s.do(func(a *domain.Asset) error {
					return a.RequestReview(domain.ReviewRequest{ID: s.newID(), Requester: s.a.owner, ReceivedOn: s.ago(30)}, s.today)
				})
			}},
		{Westminster, pub("The Lamb and Flag", "33 Rose Street, London", "WC2E 9EB", 51.5116, -0.1265),
			group("g-lamb", "Covent Garden Community Association", domain.CompanyLimitedByGuarantee), brewery,
			func(s *step) error { // review upheld, then a disposal notice: interim moratorium running
				nid, err := s.nominate(800)
				if err != nil {
					return err
				}
				if err := s.list(nid, 760); err != nil {
					return err
				}
				rid := s.newID()
				if err := s.do(func(a *domain.Asset) error {
					if err := a.RequestReview(domain.ReviewRequest{ID: rid, Requester: s.a.owner, ReceivedOn: s.ago(740)}, s.today); err != nil {
						return err
					}
					return a.DecideReview(rid, domain.ReviewDecision{Outcome: domain.ReviewUpheld, Reasons: "the pub furthers social wellbeing", DecidedOn: s.ago(700)}, s.today)
				}); err != nil {
					return err
				}
				_, err = s.notice(20)
				return err
			}},
		{Westminster, pub("The Marquis of Granby", "142 Cambridge Street, London", "SW1V 4QF", 51.4913, -0.1443),
			group("g-marquis", "Pimlico Pub Preservation", domain.CommunityInterestCompany), pubco,
			func(s *step) error { // a CIG asked to bid in time: full moratorium, and a bid
				nid, err := s.nominate(900)
				if err != nil {
					return err
				}
				if err := s.list(nid, 850); err != nil {
					return err
				}
				if _, err := s.notice(60); err != nil {
					return err
				}
				rid, err := s.bidderRequest(45)
				if err != nil {
					return err
				}
				return s.do(func(a *domain.Asset) error {
					return a.SubmitBid(domain.Bid{ID: s.newID(), Bidder: domain.Party{ID: s.a.group.ID, Name: s.a.group.Name}, RequestID: rid,
						AmountPence: 85_000_000, Terms: "freehold with vacant possession", SubmittedOn: s.ago(10)}, s.today)
				})
			}},
		{Westminster, place("Churchill Gardens Community Centre", "community_centre", "Churchill Gardens Road, London", "SW1V 3JA", 51.4857, -0.1427),
			group("g-churchill", "Churchill Gardens Residents", domain.UnincorporatedBody), company("org-estates", "Churchill Estates Ltd"),
			func(s *step) error { // the interim moratorium lapsed; sold after it; removed from the list
				nid, err := s.nominate(1200)
				if err != nil {
					return err
				}
				if err := s.list(nid, 1150); err != nil {
					return err
				}
				if _, err := s.notice(240); err != nil {
					return err
				}
				did := s.newID()
				return s.do(func(a *domain.Asset) error {
					if err := a.RecordDisposal(domain.Disposal{ID: did, Kind: domain.RelevantDisposal, Buyer: company("org-dev", "Riverside Developments Ltd"), DisposedOn: s.ago(150)}, s.today); err != nil {
						return err
					}
					return a.RemoveFromList(domain.Removal{Reason: domain.RemovedOnRelevantDisposal, Ref: did, RemovedOn: s.ago(150)}, s.today)
				})
			}},
		{Westminster, place("St Anne's Garden", "green_space", "Wardour Street, London", "W1D 6HS", 51.5129, -0.1323),
			group("g-stanne", "Soho Society", domain.Charity), company("org-soho", "Soho Land Ltd"),
			func(s *step) error { // not listed: on the list of unsuccessful nominations
				nid, err := s.nominate(420)
				if err != nil {
					return err
				}
				return s.do(func(a *domain.Asset) error {
					return a.DecideNomination(nid, domain.Decision{Outcome: domain.NotListed, Reasons: "no current non-ancillary community use (s.88)", DecidedOn: s.ago(380)}, s.today)
				})
			}},
		{Stockport, pub("The Arden Arms", "23 Millgate, Stockport", "SK1 2LX", 53.4108, -2.1543),
			group("g-arden", "Stockport CAMRA Branch", domain.UnincorporatedBody), brewery,
			func(s *step) error { // listed over five years ago: the entry has expired (s.87(3))
				nid, err := s.nominate(2000)
				if err != nil {
					return err
				}
				if err := s.list(nid, 1950); err != nil {
					return err
				}
				return s.do(func(a *domain.Asset) error { return a.MarkListingExpired(s.today) })
			}},
		{Stockport, place("Edgeley Park Bowling Green", "sports", "Hardcastle Road, Stockport", "SK3 9DD", 53.3977, -2.1716),
			group("g-edgeley", "Edgeley Bowling Club", domain.CommunityInterestCompany), council,
			func(s *step) error { // removed: no longer of community value
				nid, err := s.nominate(1000)
				if err != nil {
					return err
				}
				if err := s.list(nid, 950); err != nil {
					return err
				}
				return s.do(func(a *domain.Asset) error {
					return a.RemoveFromList(domain.Removal{Reason: domain.RemovedNoCommunityValue, Reasons: "the green has been closed for three seasons and the club has dissolved", RemovedOn: s.ago(100)}, s.today)
				})
			}},
		{Stockport, pub("The Crown", "154 Heaton Lane, Stockport", "SK4 1AR", 53.4139, -2.1626),
			group("g-crown", "Heaton Lane Community Pub", domain.CooperativeSociety), pubco,
			func(s *step) error { // an exempt disposal (a gift): still listed
				nid, err := s.nominate(600)
				if err != nil {
					return err
				}
				if err := s.list(nid, 560); err != nil {
					return err
				}
				return s.do(func(a *domain.Asset) error {
					return a.RecordDisposal(domain.Disposal{ID: s.newID(), Kind: domain.ExemptDisposal, Exemption: domain.ExemptGift, Buyer: company("org-trust", "Crown Heritage Trust"), DisposedOn: s.ago(90)}, s.today)
				})
			}},
		{Stockport, place("Reddish Library", "library", "Gorton Road, Reddish", "SK5 6UG", 53.4386, -2.1586),
			group("g-reddish", "Reddish Library Trust", domain.Charity), council,
			func(s *step) error { // sold to the community group inside the full moratorium
				nid, err := s.nominate(700)
				if err != nil {
					return err
				}
				if err := s.list(nid, 650); err != nil {
					return err
				}
				notice, err := s.notice(200)
				if err != nil {
					return err
				}
				if _, err := s.bidderRequest(190); err != nil {
					return err
				}
				buyer := s.a.group
				return s.do(func(a *domain.Asset) error {
					if err := a.RecordDisposal(domain.Disposal{ID: s.newID(), Kind: domain.RelevantDisposal, Buyer: domain.Party{ID: buyer.ID, Name: buyer.Name}, BuyerGroup: &buyer, DisposedOn: s.ago(60)}, s.today); err != nil {
						return err
					}
					return a.RecordMoratoriumOutcome(notice, domain.SoldToCIG, s.ago(60), s.today)
				})
			}},
	}
}
