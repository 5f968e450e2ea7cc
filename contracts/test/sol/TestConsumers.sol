// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {NexusInbox} from "../../sol/NexusInbox.sol";
import {INexusConsumer} from "../../sol/INexusConsumer.sol";

/// @notice Test-only consumer whose callback can revert, burn all its gas or re-enter the inbox.
contract TestConsumer is INexusConsumer {
    enum Behaviour {
        Store,
        Revert,
        BurnGas
    }

    NexusInbox public immutable inbox;
    Behaviour public behaviour;
    uint256 public calls;
    uint256 public lastRequestId;
    uint8 public lastStatus;
    bytes public lastOutput;

    constructor(NexusInbox inbox_) {
        inbox = inbox_;
    }

    function setBehaviour(Behaviour b) external {
        behaviour = b;
    }

    function ask(bytes32 functionId, bytes calldata input, uint64 callbackGasLimit) external returns (uint256) {
        return inbox.request(functionId, input, callbackGasLimit);
    }

    function onNexusResult(uint256 requestId, uint8 status, bytes calldata output) external {
        require(msg.sender == address(inbox), "not the inbox");
        if (behaviour == Behaviour.Revert) revert("consumer says no");
        if (behaviour == Behaviour.BurnGas) {
            while (true) {}
        }
        calls++;
        lastRequestId = requestId;
        lastStatus = status;
        lastOutput = output;
    }
}

/// @notice Test/bench helper: gas a consumer contract pays for one inner call (no 21k, no calldata).
contract GasMeter {
    function measure(address target, bytes calldata data) external returns (uint256 gasUsed, bool ok) {
        uint256 before = gasleft();
        (ok,) = target.call(data);
        gasUsed = before - gasleft();
    }
}
