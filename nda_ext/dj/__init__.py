"""DataJoint plumbing shared by every schema: the three-part make, bulk inserts, populate / work / status."""
