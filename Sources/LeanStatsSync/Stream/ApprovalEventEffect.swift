import LeanStatsCore

/// What an approval event means for the stored instance (`docs/dingtalk-api-notes.md` §12.3).
public enum ApprovalEventEffect: Sendable, Equatable {
    /// The stored record already says what the event says (task events always: tasks are not stored).
    case unchanged
    /// The stored record, updated from the event alone; equal to what a detail fetch would decode.
    case update(InstanceRecord)
    /// The event lacks what the store needs: fetch the instance's detail (one metered call).
    case fetchDetail(FetchReason)

    /// Why a detail fetch is needed.
    public enum FetchReason: String, Sendable, Equatable {
        /// No stored record: the event carries no form values, department or business id.
        case unknownInstance
        /// A `delete` event: the detail tells whether the instance is gone.
        case deleted
        /// A type the mapping does not know, or a finish without a usable result or finish time.
        case incompleteEvent
    }
}

extension ApprovalEvent {
    /// Maps the event onto the stored record, without any call.
    ///
    /// - instance `finish` with `agree`/`refuse` and a finish time: status COMPLETED, that result and finish time;
    /// - instance `terminate` with a finish time: status TERMINATED, no result, that finish time;
    /// - instance `start` of a stored instance, and every task event of a stored instance: unchanged;
    /// - no stored record, `delete`, unknown types, or a finish/terminate lacking its time or result: fetch the detail.
    ///
    /// The finish time is cut to what the configured API family's detail carries, so the updated record equals the
    /// one a later detail fetch decodes: whole minutes for v1.0 (`yyyy-MM-ddTHH:mmZ`), whole seconds for legacy.
    /// - Parameters:
    ///   - stored: The stored record of ``processInstanceId``, `nil` when the store has none.
    ///   - api: The API family the sync fetches details with.
    /// - Returns: The effect.
    public func effect(on stored: InstanceRecord?, api: DingTalkAPI) -> ApprovalEventEffect {
        guard let stored else { return .fetchDetail(.unknownInstance) }
        switch (kind, type) {
        case (.taskChange, _):
            return .unchanged
        case (.instanceChange, .start):
            return .unchanged
        case (.instanceChange, .finish):
            guard let result = result.flatMap(InstanceResult.init(code:)), let finish = finishSeconds(api: api) else {
                return .fetchDetail(.incompleteEvent)
            }
            return change(stored) {
                $0.status = .completed
                $0.result = result
                $0.finishTime = finish
            }
        case (.instanceChange, .terminate):
            guard let finish = finishSeconds(api: api) else { return .fetchDetail(.incompleteEvent) }
            return change(stored) {
                $0.status = .terminated
                $0.result = nil
                $0.finishTime = finish
            }
        case (.instanceChange, .delete):
            return .fetchDetail(.deleted)
        case (.instanceChange, _):
            return .fetchDetail(.incompleteEvent)
        }
    }

    /// The finish time in epoch seconds at the precision of the API family's detail.
    private func finishSeconds(api: DingTalkAPI) -> Int64? {
        guard let finishTime, finishTime > 0 else { return nil }
        let seconds = finishTime / 1000
        return api == .v1 ? seconds - seconds % 60 : seconds
    }

    private func change(_ stored: InstanceRecord, _ edit: (inout InstanceRecord) -> Void) -> ApprovalEventEffect {
        var updated = stored
        edit(&updated)
        return updated == stored ? .unchanged : .update(updated)
    }
}
