pragma circom 2.1.0;

include "lib/merkle.circom";

// ~10k constraints: membership in a tree of 2^40 leaves.
component main {public [root, scope]} = MerkleMembership(40);
