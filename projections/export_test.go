package projections

// WithBoxCap returns q reading a bounding box from the spatial index only
// when the box holds fewer than n register rows (see [spatialCap]).
func WithBoxCap(q *Queries, n int) *Queries {
	c := *q
	c.boxCap = n
	return &c
}
