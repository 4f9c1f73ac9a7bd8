namespace Goflux;

/// <summary>
/// The JetStream API error codes (<c>err_code</c>) goflux reports in <see cref="GofluxException.ErrorCode"/>, named once.
/// Both transports use these values: the JetStream adapter passes on what nats-server 2.10 answered, and the in-memory
/// engine answers the same code for the same situation.
/// </summary>
/// <remarks>
/// Each constant's documentation quotes the server's description. Match on the code, not the description: the server may
/// reword descriptions between releases. The <c>S-xx</c> references point into <c>docs/JETSTREAM-SEMANTICS.md</c>.
/// </remarks>
public static class JetStreamErrorCodes
{
    /// <summary>10003: "bad request" — for example a purge with both a sequence and keep, or a message get that names
    /// neither a sequence nor a subject (S-14).</summary>
    public const int BadRequest = 10003;

    /// <summary>10012: a consumer could not be created or updated; the description says why, for example
    /// "ack policy can not be updated" (S-51).</summary>
    public const int ConsumerCreate = 10012;

    /// <summary>10013: "consumer name already in use" — an update moving a push consumer to another deliver subject
    /// while something still listens on the old one (S-129).</summary>
    public const int ConsumerNameExists = 10013;

    /// <summary>10014: "consumer not found" — the stream exists, the consumer does not (any more) (S-112).</summary>
    public const int ConsumerNotFound = 10014;

    /// <summary>10017: "consumer name in subject does not match durable name in request" (S-07, S-55).</summary>
    public const int ConsumerDurableNameMismatch = 10017;

    /// <summary>10026: "maximum consumers limit reached" — the stream is at its max_consumers (S-56).</summary>
    public const int MaximumConsumersLimit = 10026;

    /// <summary>10034: "stream mirrors can not contain subjects".</summary>
    public const int StreamMirrorWithSubjects = 10034;

    /// <summary>10037: "no message found" — a message get for a sequence the stream does not hold (S-114).</summary>
    public const int NoMessageFound = 10037;

    /// <summary>10049: "stream not owned by template".</summary>
    public const int StreamNotOwnedByTemplate = 10049;

    /// <summary>10052: an invalid stream configuration (also an invalid consumer filter subject); the description says
    /// why, for example "invalid subject" or "stream configuration update can not change storage type" (S-04, S-12).</summary>
    public const int StreamInvalidConfig = 10052;

    /// <summary>10054: "message size exceeds maximum allowed" — over the stream's max_msg_size (S-30).</summary>
    public const int MessageExceedsMaximum = 10054;

    /// <summary>10058: "stream name already in use with a different configuration" (S-11).</summary>
    public const int StreamNameInUse = 10058;

    /// <summary>10059: "stream not found" (S-111).</summary>
    public const int StreamNotFound = 10059;

    /// <summary>10060: "expected stream does not match" — the <c>Nats-Expected-Stream</c> header (S-26).</summary>
    public const int ExpectedStreamMismatch = 10060;

    /// <summary>10065: "subjects overlap with an existing stream" (S-05).</summary>
    public const int StreamSubjectOverlap = 10065;

    /// <summary>10070: "wrong last msg ID: …" — the <c>Nats-Expected-Last-Msg-Id</c> header (S-29).</summary>
    public const int WrongLastMsgId = 10070;

    /// <summary>10071: "wrong last sequence: …" — the <c>Nats-Expected-Last-Sequence</c> or
    /// <c>Nats-Expected-Last-Subject-Sequence</c> header (S-27, S-28).</summary>
    public const int WrongLastSequence = 10071;

    /// <summary>10074: "replicas &gt; 1 not supported in non-clustered mode".</summary>
    public const int ReplicasNotSupported = 10074;

    /// <summary>10108: "consumer with flow control also needs heartbeats" (S-125).</summary>
    public const int ConsumerFlowControlNeedsHeartbeats = 10108;

    /// <summary>10112: "invalid push consumer deliver subject" (S-125).</summary>
    public const int ConsumerInvalidDeliverSubject = 10112;

    /// <summary>10110: "stream purge not permitted" — the stream denies purge (S-12, S-14).</summary>
    public const int StreamPurgeNotPermitted = 10110;

    /// <summary>10077: the stream refused to store the message under discard "new": "maximum messages exceeded",
    /// "maximum bytes exceeded" or "maximum messages per subject exceeded" (S-37).</summary>
    public const int StreamStoreFailed = 10077;

    /// <summary>10079: "consumer deliver subject has wildcards" (S-125).</summary>
    public const int ConsumerDeliverToWildcards = 10079;

    /// <summary>10080: "consumer in push mode can not set max waiting" (S-125).</summary>
    public const int ConsumerPushMaxWaiting = 10080;

    /// <summary>10081: "consumer deliver subject forms a cycle" — the stream captures the deliver subject (S-125).</summary>
    public const int ConsumerDeliverCycle = 10081;

    /// <summary>10082: "consumer requires ack policy for max ack pending" — a push consumer with ack policy none and a
    /// max ack pending (S-125).</summary>
    public const int ConsumerMaxPendingAckPolicyRequired = 10082;

    /// <summary>10083: "consumer idle heartbeat needs to be >= 100ms" (S-125).</summary>
    public const int ConsumerSmallHeartbeat = 10083;

    /// <summary>10084: "consumer in pull mode requires ack policy" — an ack-none pull consumer on a workqueue stream (S-43).</summary>
    public const int ConsumerPullRequiresAck = 10084;

    /// <summary>10086: "consumer in pull mode can not have rate limit set" (S-52).</summary>
    public const int ConsumerPullWithRateLimit = 10086;

    /// <summary>10088: "consumer idle heartbeat requires a push based consumer" (S-52).</summary>
    public const int ConsumerHeartbeatRequiresPush = 10088;

    /// <summary>10089: "consumer flow control requires a push based consumer" (S-52).</summary>
    public const int ConsumerFlowControlRequiresPush = 10089;

    /// <summary>10090: "consumer direct requires a push based consumer".</summary>
    public const int ConsumerDirectRequiresPush = 10090;

    /// <summary>10091: "consumer direct requires an ephemeral consumer" (S-125).</summary>
    public const int ConsumerDirectRequiresEphemeral = 10091;

    /// <summary>10094: the deliver policy and its start options do not fit together, for example "consumer delivery policy
    /// is deliver by start sequence, but optional start sequence is not set" (S-62 to S-65).</summary>
    public const int ConsumerInvalidPolicy = 10094;

    /// <summary>10097: "header size exceeds maximum allowed of 64k" (S-30).</summary>
    public const int HeaderExceedsMaximum = 10097;

    /// <summary>10098: "workqueue stream requires explicit ack" (S-43).</summary>
    public const int WorkQueueRequiresExplicitAck = 10098;

    /// <summary>10099: "multiple non-filtered consumers not allowed on workqueue stream" (S-43).</summary>
    public const int WorkQueueMultipleUnfiltered = 10099;

    /// <summary>10100: "filtered consumer not unique on workqueue stream" (S-43, S-44).</summary>
    public const int WorkQueueFilterNotUnique = 10100;

    /// <summary>10101: "consumer must be deliver all on workqueue stream" (S-43).</summary>
    public const int WorkQueueRequiresDeliverAll = 10101;

    /// <summary>10102: "consumer name is too long, maximum allowed is 255" (S-07).</summary>
    public const int ConsumerNameTooLong = 10102;

    /// <summary>10103: "durable name can not contain '.', '*', '&gt;'" (S-07).</summary>
    public const int ConsumerBadDurableName = 10103;

    /// <summary>10109: "invalid operation on sealed stream" — a publish or purge on a sealed stream (S-12).</summary>
    public const int StreamSealed = 10109;

    /// <summary>10111: "rollup not permitted" — a <c>Nats-Rollup</c> header on a stream without allow_rollup_hdrs (S-32).</summary>
    public const int RollupNotPermitted = 10111;

    /// <summary>10116: "max deliver is required to be &gt; length of backoff values" (S-57).</summary>
    public const int ConsumerMaxDeliverBackoff = 10116;

    /// <summary>10127: "consumer name can not contain path separators" (S-07).</summary>
    public const int ConsumerNameContainsPathSeparators = 10127;

    /// <summary>10128: "stream name can not contain path separators" (S-06).</summary>
    public const int StreamNameContainsPathSeparators = 10128;

    /// <summary>10137: "consumer with multiple subject filters cannot use subject based API" (S-54).</summary>
    public const int ConsumerMultipleFiltersNotAllowed = 10137;

    /// <summary>10138: "consumer subject filters cannot overlap" (S-54).</summary>
    public const int ConsumerOverlappingSubjectFilters = 10138;

    /// <summary>10139: "consumer filter in FilterSubjects cannot be empty" (S-54).</summary>
    public const int ConsumerEmptyFilter = 10139;

    /// <summary>10148: "consumer already exists" — a create (not create-or-update) of an existing consumer with a different
    /// configuration (S-50).</summary>
    public const int ConsumerAlreadyExists = 10148;

    /// <summary>10149: "consumer does not exist" — an update (not create-or-update) of a missing consumer (S-50).</summary>
    public const int ConsumerDoesNotExist = 10149;

    /// <summary>10043: "sequence {seq} not found" — a message delete names a sequence the stream does not hold.</summary>
    public const int SequenceNotFound = 10043;

    /// <summary>10057: a message delete failed; "message delete not permitted" when the stream denies delete.</summary>
    public const int MessageDeleteFailed = 10057;
}
