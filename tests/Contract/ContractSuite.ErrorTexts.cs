using System.Text.Json;
using FluentAssertions;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Every JetStream API error the engine raises carries the server's <c>err_code</c> and its description word for word
/// (S-140): one row per way to reach an error, each run against a real nats-server and the engine alike. A description
/// with variable parts (a subject, a sequence, a message ID) is asserted with them filled in as the server fills them.
/// Rows reach the error through the bindings' typed calls where NATS.Net lets them, and through a raw API request where
/// NATS.Net refuses to send it (a consumer name with a wildcard) or only the wire carries it (a mismatch between subject
/// and request). <see cref="ErrorCodeInventoryTests"/> fails when the engine's source raises a code without a row here.
/// </summary>
public abstract partial class ContractSuite
{
    private static readonly TimeSpan ApiPatience = TimeSpan.FromSeconds(3);

    /// <summary>Reaches the error on a backend: the <c>err_code</c> and description it answered with, or
    /// <c>(null, null)</c> when nothing answered.</summary>
    private delegate Task<(int? Code, string? Description)> ErrorTrigger(ContractSuite suite, string stream, string prefix);

    /// <summary>The rows, by name.</summary>
    public static TheoryData<string> ErrorTextCases => [.. ErrorTexts.Keys];

    /// <summary>The <c>err_code</c>s the rows check.</summary>
    internal static IReadOnlyCollection<int> ErrorTextCodes => [.. ErrorTexts.Values.Select(c => c.Code).Distinct()];

    /// <summary>
    /// One row per way to an error. In expected descriptions <c>{s}</c> stands for the scenario's stream name and
    /// <c>{p}</c> for its subject prefix.
    /// </summary>
    private static Dictionary<string, ErrorCase> ErrorTexts { get; } = new()
    {
        // Stream create and update: the name, then the configuration check in the server's order.
        ["StreamNameWildcard"] = new(10052, "stream name is required and can not contain '.', '*', '>'", Fails((t, s, p) => t.B.CreateStreamAsync(Memory(s + "*x", p)))),
        ["StreamNameTooLong"] = new(10052, "stream name is too long, maximum allowed is 255", Fails((t, s, p) => t.B.CreateStreamAsync(Memory(s + new string('n', 256 - s.Length), p)))),
        ["StreamNamePathSeparator"] = new(10128, "Stream name can not contain path separators", Fails((t, s, p) => t.B.CreateStreamAsync(Memory(s + "/x", p)))),
        ["StreamUpdatePathSeparator_NoStream"] = new(10059, "stream not found", Fails((t, s, p) => t.B.UpdateStreamAsync(Memory(s + "/x", p)))),
        ["ReplicasOverFive"] = new(10052, "maximum replicas is 5", Fails((t, s, p) => t.StreamAsync(s, p, c => c.NumReplicas = 7))),
        ["MaxAgeUnder100ms"] = new(10052, "max age needs to be >= 100ms", Fails((t, s, p) => t.StreamAsync(s, p, c => c.MaxAge = TimeSpan.FromMilliseconds(50)))),
        ["DuplicatesNegative"] = new(10052, "duplicates window can not be negative", Fails((t, s, p) => t.StreamAsync(s, p, c => c.DuplicateWindow = TimeSpan.FromMilliseconds(-1)))),
        ["DuplicatesOverMaxAge"] = new(10052, "duplicates window can not be larger then max age", Fails((t, s, p) => t.StreamAsync(s, p, c => (c.MaxAge, c.DuplicateWindow) = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2))))),
        ["DuplicatesUnder100ms"] = new(10052, "duplicates window needs to be >= 100ms", Fails((t, s, p) => t.StreamAsync(s, p, c => c.DuplicateWindow = TimeSpan.FromMilliseconds(50)))),
        ["RollupWithDenyPurge"] = new(10052, "roll-ups require the purge permission", Fails((t, s, p) => t.StreamAsync(s, p, c => (c.AllowRollupHdrs, c.DenyPurge) = (true, true)))),
        ["DiscardNewPerSubject_DiscardOld"] = new(10052, "discard new per subject requires discard new policy to be set", Fails((t, s, p) => t.StreamAsync(s, p, c => (c.DiscardNewPerSubject, c.MaxMsgsPerSubject) = (true, 1)))),
        ["DiscardNewPerSubject_NoLimit"] = new(10052, "discard new per subject requires max msgs per subject > 0", Fails((t, s, p) => t.StreamAsync(s, p, c => (c.DiscardNewPerSubject, c.Discard) = (true, StreamConfigDiscard.New)))),
        ["SubjectInvalid"] = new(10052, "invalid subject", Fails((t, s, p) => t.StreamAsync(s, p, c => c.Subjects = [p + "..a"]))),
        ["SubjectTwice"] = new(10052, "duplicate subjects detected", Fails((t, s, p) => t.StreamAsync(s, p, c => c.Subjects = [p + ".a", p + ".a"]))),
        ["SubjectCapturesAll"] = new(10052, "capturing all subjects requires no-ack to be true", Fails((t, s, p) => t.StreamAsync(s, p, c => c.Subjects = [">"]))),
        ["SubjectCapturesAll_Replicas"] = new(10052, "capturing all subjects requires replicas of 1", Fails((t, s, p) => t.StreamAsync(s, p, c => (c.Subjects, c.NoAck, c.NumReplicas) = ([">"], true, 3)))),
        ["SubjectInJetStreamApi"] = new(10052, "subjects that overlap with jetstream api require no-ack to be true", Fails((t, s, p) => t.StreamAsync(s, p, c => c.Subjects = ["$JS.API.>"]))),
        ["SubjectInSystemApi"] = new(10052, "subjects that overlap with system api require no-ack to be true", Fails((t, s, p) => t.StreamAsync(s, p, c => c.Subjects = ["$SYS.>"]))),
        ["SubjectsOverlapEachOther"] = new(10052, "subject \"{p}.*\" overlaps with \"{p}.a\"", Fails((t, s, p) => t.StreamAsync(s, p, c => c.Subjects = [p + ".*", p + ".a"]))),
        ["CreateSealed"] = new(10052, "stream configuration for create can not be sealed", Fails((t, s, p) => t.StreamAsync(s, p, c => c.Sealed = true))),
        ["CreateMirrorDirect"] = new(10052, "stream has no mirror but does have mirror direct", Fails((t, s, p) => t.StreamAsync(s, p, c => c.MirrorDirect = true))),
        ["CreateTemplateOwner"] = new(10049, "stream not owned by template", Fails((t, s, p) => t.StreamAsync(s, p, c => c.TemplateOwner = "t"))),
        ["CreateReplicas"] = new(10074, "replicas > 1 not supported in non-clustered mode", Fails((t, s, p) => t.StreamAsync(s, p, c => c.NumReplicas = 3))),
        ["StreamNameInUse"] = new(10058, "stream name already in use with a different configuration", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.StreamAsync(s, p, c => c.MaxMsgs = 5);
        })),
        ["SubjectsOverlapAnotherStream"] = new(10065, "subjects overlap with an existing stream", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateStreamAsync(Memory(s + "b", p, p + ".a"));
        })),
        ["StreamUpdate_Unseal"] = new(10052, "stream configuration update can not unseal a sealed stream", Fails(async (t, s, p) =>
        {
            await t.SealedStreamAsync(s, p);
            await t.B.UpdateStreamAsync(Memory(s, p));
        })),
        ["StreamUpdate_CancelDenyDelete"] = new(10052, "stream configuration update can not cancel deny message deletes", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.DenyDelete = true);
            await t.B.UpdateStreamAsync(Memory(s, p));
        })),
        ["StreamUpdate_CancelDenyPurge"] = new(10052, "stream configuration update can not cancel deny purge", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.DenyPurge = true);
            await t.B.UpdateStreamAsync(Memory(s, p));
        })),
        ["StreamUpdate_Missing"] = new(10059, "stream not found", Fails((t, s, p) => t.B.UpdateStreamAsync(Memory(s, p)))),

        // Purge, message delete and get.
        ["Purge_Missing"] = new(10059, "stream not found", Fails((t, s, p) => t.B.PurgeStreamAsync(s))),
        ["Purge_SequenceAndKeep"] = new(10003, "bad request", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.PurgeStreamAsync(s, new StreamPurgeRequest { Seq = 2, Keep = 1 });
        })),
        ["Purge_Denied"] = new(10110, "stream purge not permitted", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.DenyPurge = true);
            await t.B.PurgeStreamAsync(s);
        })),
        ["Purge_Sealed"] = new(10109, "invalid operation on sealed stream", Fails(async (t, s, p) =>
        {
            await t.SealedStreamAsync(s, p);
            await t.B.PurgeStreamAsync(s);
        })),
        ["Delete_Sealed"] = new(10109, "invalid operation on sealed stream", Fails(async (t, s, p) =>
        {
            await t.SealedStreamAsync(s, p);
            await t.B.DeleteMessageAsync(s, 1);
        })),
        ["Publish_Sealed"] = new(10109, "invalid operation on sealed stream", Fails(async (t, s, p) =>
        {
            await t.SealedStreamAsync(s, p);
            await t.B.PublishAsync(p + ".a", Bytes("x"));
        })),
        ["Delete_Denied"] = new(10057, "message delete not permitted", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.DenyDelete = true);
            await t.B.PublishAsync(p + ".a", Bytes("x"));
            await t.B.DeleteMessageAsync(s, 1);
        })),
        ["Delete_MemoryPastEnd"] = new(10043, "sequence 9 not found", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.PublishAsync(p + ".a", Bytes("x"));
            await t.B.DeleteMessageAsync(s, 9);
        })),
        ["Delete_FilePastEnd"] = new(10057, "stream store EOF", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.Storage = StreamConfigStorage.File);
            await t.B.PublishAsync(p + ".a", Bytes("x"));
            await t.B.DeleteMessageAsync(s, 9);
        })),
        ["Delete_FilePurged"] = new(10057, "no message found", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.Storage = StreamConfigStorage.File);
            await t.PublishManyAsync(p + ".a", 3);
            await t.B.PurgeStreamAsync(s);
            await t.B.DeleteMessageAsync(s, 1);
        })),
        ["Get_Missing"] = new(10037, "no message found", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.GetMessageAsync(s, new StreamMsgGetRequest { Seq = 9 });
        })),
        ["Get_LastAndNext"] = new(10003, "bad request", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.GetMessageAsync(s, new StreamMsgGetRequest { LastBySubj = p + ".a", NextBySubj = p + ".a" });
        })),

        // Publish expectations and limits.
        ["Publish_ExpectedStream"] = new(10060, "expected stream does not match", Publishes(null, "Nats-Expected-Stream", "OTHER")),
        ["Publish_ExpectedLastSequence"] = new(10071, "wrong last sequence: 1", Publishes(null, "Nats-Expected-Last-Sequence", "7", before: 1)),
        ["Publish_ExpectedLastSubjectSequence"] = new(10071, "wrong last sequence: 0", Publishes(null, "Nats-Expected-Last-Subject-Sequence", "7", before: 1, subject: "b")),
        ["Publish_ExpectedLastMsgId_NoneYet"] = new(10070, "wrong last msg ID: ", Publishes(null, "Nats-Expected-Last-Msg-Id", "zz", before: 1)),
        ["Publish_ExpectedLastMsgId"] = new(10070, "wrong last msg ID: id1", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.PublishAsync(p + ".a", Bytes("x"), new MessageHeaders().Add("Nats-Msg-Id", "id1"));
            await t.B.PublishAsync(p + ".a", Bytes("x"), new MessageHeaders().Add("Nats-Expected-Last-Msg-Id", "zz"));
        })),
        ["Publish_RollupNotAllowed"] = new(10111, "rollup not permitted", Publishes(null, "Nats-Rollup", "sub")),
        ["Publish_OverMaxMsgSize"] = new(10054, "message size exceeds maximum allowed", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.MaxMsgSize = 10);
            await t.B.PublishAsync(p + ".a", new byte[11]);
        })),
        ["Publish_HeaderOver64k"] = new(10097, "header size exceeds maximum allowed of 64k", Publishes(null, "X-Big", new string('h', 70_000))),
        ["Publish_MaxMsgs"] = new(10077, "maximum messages exceeded", Publishes(c => (c.MaxMsgs, c.Discard) = (1, StreamConfigDiscard.New), null, null, before: 1, subject: "b")),
        ["Publish_MaxBytes"] = new(10077, "maximum bytes exceeded", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => (c.MaxBytes, c.Discard) = (100, StreamConfigDiscard.New));
            await t.B.PublishAsync(p + ".a", new byte[200]);
        })),
        ["Publish_MaxMsgsPerSubject"] = new(10077, "maximum messages per subject exceeded", Publishes(c => (c.MaxMsgsPerSubject, c.Discard, c.DiscardNewPerSubject) = (1, StreamConfigDiscard.New, true), null, null, before: 1)),

        // Consumer create and update: what the create subject carries, the configuration check, the workqueue rules.
        ["Consumer_StreamMissing"] = new(10059, "stream not found", Fails((t, s, p) => t.B.CreateConsumerAsync(s, Explicit("c")))),
        ["Consumer_NamePathSeparator"] = new(10127, "Consumer name can not contain path separators", OnStream(t => t.CreateConsumerAsync(Explicit("a/b")))),
        ["Consumer_NameWildcard"] = new(10103, "durable name can not contain '.', '*', '>'", Raw("$JS.API.CONSUMER.CREATE.{s}.a*b", """{"stream_name":"{s}","config":{"durable_name":"a*b","name":"a*b","ack_policy":"explicit"}}""", (t, s, p) => t.StreamAsync(s, p))),
        ["Consumer_NameTooLong"] = new(10102, "consumer name is too long, maximum allowed is 255", OnStream(t => t.CreateConsumerAsync(Explicit(new string('n', 256))))),
        ["Consumer_DurableNameMismatch"] = new(10017, "consumer name in subject does not match durable name in request", OnStream(t => t.CreateConsumerAsync(new ConsumerConfig { Name = "x", DurableName = "y", AckPolicy = ConsumerConfigAckPolicy.Explicit }))),
        ["Consumer_Replicas"] = new(10074, "replicas > 1 not supported in non-clustered mode", OnStream(t => t.CreateConsumerAsync(Explicit("c", c => c.NumReplicas = 3)))),
        ["Consumer_BackoffOverMaxDeliver"] = new(10116, "max deliver is required to be > length of backoff values", OnStream(t => t.CreateConsumerAsync(Explicit("c", c =>
        {
            c.Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];
            c.MaxDeliver = 1;
        })))),
        ["Consumer_AckNoneOnWorkQueue"] = new(10084, "consumer in pull mode requires ack policy", OnWorkQueue(t => t.CreateConsumerAsync(Explicit("c", c => c.AckPolicy = ConsumerConfigAckPolicy.None)))),
        ["Consumer_PullRateLimit"] = new(10086, "consumer in pull mode can not have rate limit set", OnStream(t => t.CreateConsumerAsync(Explicit("c", c => c.RateLimitBps = 100)))),
        ["Consumer_PullHeartbeat"] = new(10088, "consumer idle heartbeat requires a push based consumer", OnStream(t => t.CreateConsumerAsync(Explicit("c", c => c.IdleHeartbeat = TimeSpan.FromSeconds(5))))),
        ["Consumer_PullFlowControl"] = new(10089, "consumer flow control requires a push based consumer", OnStream(t => t.CreateConsumerAsync(Explicit("c", c => c.FlowControl = true)))),
        ["Consumer_PullDirect"] = new(10090, "consumer direct requires a push based consumer", OnStream(t => t.CreateConsumerAsync(Explicit("c", c => c.Direct = true)))),
        ["Consumer_EmptyFilter"] = new(10139, "consumer filter in FilterSubjects cannot be empty", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateConsumerAsync(s, Explicit("c", c => c.FilterSubjects = [p + ".a", string.Empty]));
        })),
        ["Consumer_OverlappingFilters"] = new(10138, "consumer subject filters cannot overlap", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateConsumerAsync(s, Explicit("c", c => c.FilterSubjects = [p + ".a", p + ".*"]));
        })),
        ["Consumer_InvalidFilter"] = new(10052, "invalid subject", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateConsumerAsync(s, Explicit("c", c => c.FilterSubjects = [p + "..a"]));
        })),
        ["Consumer_FilterAndFilters"] = new(10137, "consumer with multiple subject filters cannot use subject based API", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateConsumerAsync(s, Explicit("c", c =>
            {
                c.FilterSubject = p + ".a";
                c.FilterSubjects = [p + ".b"];
            }));
        })),
        ["Consumer_FilterNotTheSubjects"] = new(10131, "Consumer create request did not match filtered subject from create subject", Raw("$JS.API.CONSUMER.CREATE.{s}.c.{p}.a", """{"stream_name":"{s}","config":{"name":"c","filter_subject":"{p}.b","ack_policy":"explicit"}}""", (t, s, p) => t.StreamAsync(s, p))),
        ["Policy_All_StartSequence"] = Policy("deliver all, but optional start sequence is also set", ConsumerConfigDeliverPolicy.All, seq: true),
        ["Policy_All_StartTime"] = Policy("deliver all, but optional start time is also set", ConsumerConfigDeliverPolicy.All, time: true),
        ["Policy_Last_StartSequence"] = Policy("deliver last, but optional start sequence is also set", ConsumerConfigDeliverPolicy.Last, seq: true),
        ["Policy_Last_StartTime"] = Policy("deliver last, but optional start time is also set", ConsumerConfigDeliverPolicy.Last, time: true),
        ["Policy_New_StartSequence"] = Policy("deliver new, but optional start sequence is also set", ConsumerConfigDeliverPolicy.New, seq: true),
        ["Policy_New_StartTime"] = Policy("deliver new, but optional start time is also set", ConsumerConfigDeliverPolicy.New, time: true),
        ["Policy_LastPerSubject_StartSequence"] = Policy("deliver last per subject, but optional start sequence is also set", ConsumerConfigDeliverPolicy.LastPerSubject, seq: true),
        ["Policy_LastPerSubject_StartTime"] = Policy("deliver last per subject, but optional start time is also set", ConsumerConfigDeliverPolicy.LastPerSubject, time: true),
        ["Policy_LastPerSubject_NoFilter"] = Policy("deliver last per subject, but optional filter subject is not set", ConsumerConfigDeliverPolicy.LastPerSubject),
        ["Policy_ByStartSequence_None"] = Policy("deliver by start sequence, but optional start sequence is not set", ConsumerConfigDeliverPolicy.ByStartSequence),
        ["Policy_ByStartSequence_AndTime"] = Policy("deliver by start sequence, but optional start time is also set", ConsumerConfigDeliverPolicy.ByStartSequence, seq: true, time: true),
        ["Policy_ByStartTime_None"] = Policy("deliver by start time, but optional start time is not set", ConsumerConfigDeliverPolicy.ByStartTime),

        // The server's own text, "start" twice.
        ["Policy_ByStartTime_AndSequence"] = Policy("deliver by start time, but optional start start sequence is also set", ConsumerConfigDeliverPolicy.ByStartTime, seq: true, time: true),
        ["WorkQueue_AckAll"] = new(10098, "workqueue stream requires explicit ack", OnWorkQueue(t => t.CreateConsumerAsync(Explicit("c", c => c.AckPolicy = ConsumerConfigAckPolicy.All)))),
        ["WorkQueue_SecondUnfiltered"] = new(10099, "multiple non-filtered consumers not allowed on workqueue stream", OnWorkQueue(async t =>
        {
            await t.CreateConsumerAsync(Explicit("c1"));
            await t.CreateConsumerAsync(Explicit("c2"));
        })),
        ["WorkQueue_FilterNotUnique"] = new(10100, "filtered consumer not unique on workqueue stream", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.Retention = StreamConfigRetention.Workqueue);
            await t.B.CreateConsumerAsync(s, Explicit("c1", c => c.FilterSubject = p + ".a"));
            await t.B.CreateConsumerAsync(s, Explicit("c2", c => c.FilterSubject = p + ".*"));
        })),
        ["WorkQueue_DeliverNew"] = new(10101, "consumer must be deliver all on workqueue stream", OnWorkQueue(t => t.CreateConsumerAsync(Explicit("c", c => c.DeliverPolicy = ConsumerConfigDeliverPolicy.New)))),
        ["Consumer_MaximumReached"] = new(10026, "maximum consumers limit reached", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p, c => c.MaxConsumers = 1);
            await t.B.CreateConsumerAsync(s, Explicit("c1"));
            await t.B.CreateConsumerAsync(s, Explicit("c2"));
        })),
        ["Consumer_AlreadyExists"] = new(10148, "consumer already exists", OnStream(async t =>
        {
            await t.CreateConsumerAsync(Explicit("c"));
            await t.CreateConsumerAsync(Explicit("c", c => c.AckWait = TimeSpan.FromSeconds(5)));
        })),
        ["Consumer_UpdateMissing"] = new(10149, "consumer does not exist", OnStream(t => t.UpdateConsumerAsync(Explicit("c")))),
        ["Consumer_UpdatePullToPush"] = new(10012, "can not update pull consumer to push based", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateConsumerAsync(s, Explicit("c"));
            await t.B.UpdateConsumerAsync(s, Explicit("c", c => c.DeliverSubject = "deliver." + p));
        })),
        ["Consumer_PushMovedWhileListenedTo"] = new(10013, "consumer name already in use", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateConsumerAsync(s, Push("p", p, c => c.AckPolicy = ConsumerConfigAckPolicy.None));
            await using var listening = await t.B.ListenAsync(DeliverTo(p));
            await t.B.UpdateConsumerAsync(s, Push("p", p + "2", c => c.AckPolicy = ConsumerConfigAckPolicy.None));
        })),
        ["Push_DeliverSubjectWildcard"] = new(10079, "consumer deliver subject has wildcards", OnStream(t => t.CreateConsumerAsync(Explicit("p", c => c.DeliverSubject = "deliver.*")))),
        ["Push_DeliverSubjectEmptyToken"] = new(10112, "invalid push consumer deliver subject", OnStream(t => t.CreateConsumerAsync(Explicit("p", c => c.DeliverSubject = "deliver..x")))),
        ["Push_DeliverSubjectCycle"] = new(10081, "consumer deliver subject forms a cycle", Fails(async (t, s, p) =>
        {
            await t.StreamAsync(s, p);
            await t.B.CreateConsumerAsync(s, Explicit("p", c => c.DeliverSubject = p + ".x"));
        })),
        ["Push_MaxWaiting"] = new(10080, "consumer in push mode can not set max waiting", Fails((t, s, p) => PushWith(t, s, p, c => c.MaxWaiting = 5))),
        ["Push_MaxAckPendingAckNone"] = new(10082, "consumer requires ack policy for max ack pending", Fails((t, s, p) => PushWith(t, s, p, c => (c.AckPolicy, c.MaxAckPending) = (ConsumerConfigAckPolicy.None, 5)))),
        ["Push_HeartbeatUnder100ms"] = new(10083, "consumer idle heartbeat needs to be >= 100ms", Fails((t, s, p) => PushWith(t, s, p, c => c.IdleHeartbeat = TimeSpan.FromMilliseconds(50)))),
        ["Push_FlowControlWithoutHeartbeat"] = new(10108, "consumer with flow control also needs heartbeats", Fails((t, s, p) => PushWith(t, s, p, c => c.FlowControl = true))),
        ["Push_DirectDurable"] = new(10091, "consumer direct requires an ephemeral consumer", Fails((t, s, p) => PushWith(t, s, p, c => c.Direct = true))),
        ["Consumer_InfoMissing"] = new(10014, "consumer not found", Raw("$JS.API.CONSUMER.INFO.{s}.nope", string.Empty, (t, s, p) => t.StreamAsync(s, p))),

        // What only the wire carries: the subject against the request, and the single server's answers.
        ["Api_StreamNameMismatch"] = new(10056, "stream name in subject does not match request", Raw("$JS.API.STREAM.CREATE.{s}", """{"name":"{s}x","subjects":["{p}.>"],"storage":"memory"}""")),
        ["Api_InvalidJson"] = new(10025, "invalid JSON", Raw("$JS.API.STREAM.CREATE.{s}", "{bad")),
        ["Api_LeaderStepdown"] = new(10010, "JetStream clustering support required", Raw("$JS.API.STREAM.LEADER.STEPDOWN.{s}", string.Empty, (t, s, p) => t.StreamAsync(s, p))),
        ["Api_DurableCreateWithoutDurable"] = new(10018, "consumer expected to be durable but a durable name was not set", Raw("$JS.API.CONSUMER.DURABLE.CREATE.{s}.c", """{"stream_name":"{s}","config":{"ack_policy":"explicit"}}""")),
        ["Api_EphemeralCreateWithDurable"] = new(10020, "consumer expected to be ephemeral but a durable name was set in request", Raw("$JS.API.CONSUMER.CREATE.{s}", """{"stream_name":"{s}","config":{"durable_name":"d","ack_policy":"explicit"}}""")),

        // nats-server 2.10.27 subscribes its durable create handler to exactly seven tokens, so its own 10016 check is
        // never reached and such a request goes unanswered; the engine answers at once, with the server's text.
        ["Api_DurableCreateWithoutName"] = new(10016, "consumer expected to be durable but no durable name set in subject", Raw("$JS.API.CONSUMER.DURABLE.CREATE.{s}", """{"stream_name":"{s}","config":{"durable_name":"c","ack_policy":"explicit"}}"""), ServerSilent: true),

        // Likewise a subject none of its handlers takes: the engine answers 10003, naming the subject.
        ["Api_UnknownSubject"] = new(10003, "bad request: no JetStream API takes $JS.API.STREAM.{s}", Raw("$JS.API.STREAM.{s}", string.Empty), ServerSilent: true),
    };

    [Theory]
    [MemberData(nameof(ErrorTextCases))]
    public async Task S140_ApiError_HasTheServersCodeAndDescription(string row)
    {
        var (stream, prefix) = Unique("S140");
        var expected = ErrorTexts[row];
        var (code, description) = await expected.Trigger(this, stream, prefix);

        if (expected.ServerSilent && B.RealTime)
        {
            (code, description).Should().Be(((int?)null, (string?)null), "nats-server 2.10.27 does not answer this request");
            return;
        }

        var text = expected.Description.Replace("{s}", stream, StringComparison.Ordinal).Replace("{p}", prefix, StringComparison.Ordinal);
        (code, description).Should().Be(((int?)expected.Code, (string?)text));
    }

    [Fact]
    public async Task S141_ApiLookalikeSubjects_AreAccepted()
    {
        var (stream, prefix) = Unique("S141");
        var id = prefix[(prefix.IndexOf('.', StringComparison.Ordinal) + 1)..];

        // Not a subset of $JS.> (its first token is a wildcard), and $JS.EVENT.> is exempt.
        var info = await B.CreateStreamAsync(new StreamConfig(stream, [$"*.API.{id}.>", $"$JS.EVENT.{id}.>"]) { Storage = StreamConfigStorage.Memory });

        info.Config.Subjects.Should().Equal($"*.API.{id}.>", $"$JS.EVENT.{id}.>");
    }

    private static StreamConfig Memory(string name, string prefix, string? subject = null)
        => new(name, [subject ?? prefix + ".>"]) { Storage = StreamConfigStorage.Memory };

    /// <summary>A push consumer delivering to <see cref="DeliverTo"/> of <paramref name="prefix"/>.</summary>
    private static ConsumerConfig Push(string name, string prefix, Action<ConsumerConfig>? configure = null)
        => Explicit(name, c =>
        {
            c.DeliverSubject = DeliverTo(prefix);
            configure?.Invoke(c);
        });

    private static async Task PushWith(ContractSuite t, string stream, string prefix, Action<ConsumerConfig> configure)
    {
        await t.StreamAsync(stream, prefix);
        await t.B.CreateConsumerAsync(stream, Push("p", prefix, configure));
    }

    private static ConsumerConfig Explicit(string name, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig(name) { AckPolicy = ConsumerConfigAckPolicy.Explicit };
        configure?.Invoke(config);
        return config;
    }

    /// <summary>The error a call fails with; a call that succeeds is reported as no error.</summary>
    private static ErrorTrigger Fails(Func<ContractSuite, string, string, Task> act) => async (t, s, p) =>
    {
        try
        {
            await act(t, s, p);
        }
        catch (GofluxException ex)
        {
            return (ex.ErrorCode, ex.Message);
        }

        return (null, "no error: the call succeeded");
    };

    /// <summary>On a fresh memory stream on <c>prefix.&gt;</c>, the error of consumer calls on it.</summary>
    private static ErrorTrigger OnStream(Func<ConsumerCalls, Task> act, Action<StreamConfig>? configure = null) => Fails(async (t, s, p) =>
    {
        await t.StreamAsync(s, p, configure);
        await act(new ConsumerCalls(t.B, s));
    });

    private static ErrorTrigger OnWorkQueue(Func<ConsumerCalls, Task> act) => OnStream(act, c => c.Retention = StreamConfigRetention.Workqueue);

    /// <summary>
    /// Publishes <paramref name="before"/> plain messages to <c>prefix.a</c>, then one to <c>prefix.</c><paramref name="subject"/>
    /// with the header (if any): the error of that last publish.
    /// </summary>
    private static ErrorTrigger Publishes(Action<StreamConfig>? configure, string? header, string? value, int before = 0, string subject = "a") => Fails(async (t, s, p) =>
    {
        await t.StreamAsync(s, p, configure);
        await t.PublishManyAsync(p + ".a", before);
        await t.B.PublishAsync($"{p}.{subject}", Bytes("x"), header is null ? null : new MessageHeaders().Add(header, value!));
    });

    /// <summary>A consumer create refused for its deliver policy and start position (10094).</summary>
    private static ErrorCase Policy(string text, ConsumerConfigDeliverPolicy policy, bool seq = false, bool time = false)
        => new(10094, "consumer delivery policy is " + text, OnStream(t => t.CreateConsumerAsync(Explicit("c", c =>
        {
            c.DeliverPolicy = policy;
            c.OptStartSeq = seq ? 1UL : 0UL;
            c.OptStartTime = time ? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) : default;
        }))));

    /// <summary>
    /// A raw API request (after <paramref name="setup"/>): the error of its reply, or <c>(null, null)</c> when none came.
    /// <c>{s}</c> and <c>{p}</c> in the subject and body stand for the stream and prefix.
    /// </summary>
    private static ErrorTrigger Raw(string subject, string json, Func<ContractSuite, string, string, Task>? setup = null) => async (t, s, p) =>
    {
        if (setup is not null)
        {
            await setup(t, s, p);
        }

        string Fill(string x) => x.Replace("{s}", s, StringComparison.Ordinal).Replace("{p}", p, StringComparison.Ordinal);
        var reply = await t.B.ApiRequestAsync(Fill(subject), Fill(json), ApiPatience);
        if (reply is null)
        {
            return (null, null);
        }

        using var doc = JsonDocument.Parse(reply);
        return doc.RootElement.TryGetProperty("error", out var error)
            ? (error.GetProperty("err_code").GetInt32(), error.GetProperty("description").GetString())
            : (null, "no error: " + reply);
    };

    /// <summary>A memory stream on <c>prefix.&gt;</c> holding one message, then sealed by an update.</summary>
    private async Task SealedStreamAsync(string stream, string prefix)
    {
        await StreamAsync(stream, prefix);
        await B.PublishAsync(prefix + ".a", Bytes("x"));
        var sealedConfig = Memory(stream, prefix);
        sealedConfig.Sealed = true;
        await B.UpdateStreamAsync(sealedConfig);
    }

    /// <summary>One expected error: its code, its description, how to reach it, and whether a real server answers at all.</summary>
    private sealed record ErrorCase(int Code, string Description, ErrorTrigger Trigger, bool ServerSilent = false);

    /// <summary>Consumer calls on one stream, for rows that need nothing else.</summary>
    private sealed record ConsumerCalls(Backends.IBackend Backend, string Stream)
    {
        public Task<ConsumerInfo> CreateConsumerAsync(ConsumerConfig config) => Backend.CreateConsumerAsync(Stream, config);

        public Task<ConsumerInfo> UpdateConsumerAsync(ConsumerConfig config) => Backend.UpdateConsumerAsync(Stream, config);
    }
}
