pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Proves knowledge of a `secret` whose leaf Poseidon(secret) sits in a binary Poseidon Merkle tree
// of the given depth under the public `root`, without revealing the leaf or its position.
// `nullifier = Poseidon(secret, scope)` lets a contract reject a second use of the same secret
// within one public `scope`.
template MerkleMembership(depth) {
    signal input secret;
    signal input pathElements[depth];
    signal input pathIndices[depth];
    signal input root;
    signal input scope;
    signal output nullifier;

    component leaf = Poseidon(1);
    leaf.inputs[0] <== secret;

    component hashers[depth];
    signal cur[depth + 1];
    signal left[depth];
    signal right[depth];
    cur[0] <== leaf.out;
    for (var i = 0; i < depth; i++) {
        // A path index is a bit: 0 = current node is the left child, 1 = the right child.
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        left[i] <== cur[i] + pathIndices[i] * (pathElements[i] - cur[i]);
        right[i] <== pathElements[i] + cur[i] - left[i];
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== left[i];
        hashers[i].inputs[1] <== right[i];
        cur[i + 1] <== hashers[i].out;
    }
    root === cur[depth];

    component n = Poseidon(2);
    n.inputs[0] <== secret;
    n.inputs[1] <== scope;
    nullifier <== n.out;
}
