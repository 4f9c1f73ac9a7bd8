using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>
/// JetStream API errors with the server's codes and descriptions. A description is nats-server's own text, as 2.10.27
/// sends it (its errors table, with any template filled as the server fills it): the contract scenarios of
/// <c>ContractSuite.ErrorTexts</c> compare each one with a real server's.
/// </summary>
internal static class Errors
{
    public static GofluxException Api(int errCode, string description, GofluxStage stage = GofluxStage.Transport, string? subject = null)
        => new(stage, description, null, subject, errCode);

    public static GofluxException StreamNotFound() => Api(JetStreamErrorCodes.StreamNotFound, "stream not found");

    /// <summary>The server's answer to a pull request on a push consumer: status 409 (S-133).</summary>
    public static GofluxException PushBased() => new(GofluxStage.Subscribe, "Consumer is push based", null, null, 409);

    public static GofluxException ConsumerNotFound() => Api(JetStreamErrorCodes.ConsumerNotFound, "consumer not found");

    public static GofluxException InvalidStreamConfig(string reason) => Api(JetStreamErrorCodes.StreamInvalidConfig, reason);

    /// <summary>10127, raised for the name the create subject carries.</summary>
    public static GofluxException ConsumerNameContainsPathSeparators()
        => Api(JetStreamErrorCodes.ConsumerNameContainsPathSeparators, "Consumer name can not contain path separators");

    /// <summary>10128, raised by a stream create only (an update looks the name up instead).</summary>
    public static GofluxException StreamNameContainsPathSeparators()
        => Api(JetStreamErrorCodes.StreamNameContainsPathSeparators, "Stream name can not contain path separators");

    /// <summary>10017: the consumer name of the create subject is not the configuration's durable name.</summary>
    public static GofluxException DurableNameMismatch()
        => Api(JetStreamErrorCodes.ConsumerDurableNameMismatch, "consumer name in subject does not match durable name in request");

    /// <summary>10074: a stream or consumer with more than one replica on a single server.</summary>
    public static GofluxException ReplicasNotSupported()
        => Api(JetStreamErrorCodes.ReplicasNotSupported, "replicas > 1 not supported in non-clustered mode");

    public static GofluxException Publish(int errCode, string description, string subject)
        => new(GofluxStage.Publish, description, null, subject, errCode) { PublishOutcome = PublishOutcome.Rejected };
}
