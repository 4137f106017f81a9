"""Appeals: the person an action was about answers it once, and another moderator of the same
scope upholds or overturns it (`service`), on the record (`store`, the moderation log)."""
