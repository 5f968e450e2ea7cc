pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Knowledge of a preimage: the public output is Poseidon(preimage, salt).
template PoseidonPreimage() {
    signal input preimage;
    signal input salt;
    signal output hash;
    component h = Poseidon(2);
    h.inputs[0] <== preimage;
    h.inputs[1] <== salt;
    hash <== h.out;
}

component main = PoseidonPreimage();
