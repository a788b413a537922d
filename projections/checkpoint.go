package projections

// checkpointName is the row of rm_checkpoint the read models keep.
const checkpointName = "read_models"
