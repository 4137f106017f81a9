"""The newswire: news anyone may submit, published at once from trusted sources and held for an
editor otherwise, federated by the instance's @newswire actor, shared with other instances'
newswires, and gathered each week into a newsletter."""
