pragma circom 2.1.0;

include "lib/merkle.circom";

// ~1k constraints: membership in a tree of 8 leaves.
component main {public [root, scope]} = MerkleMembership(3);
