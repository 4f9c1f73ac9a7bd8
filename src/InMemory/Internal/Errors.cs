using Goflux;

namespace Goflux.InMemory.Internal;

/// <summary>JetStream API errors with the server's codes and descriptions.</summary>
internal static class Errors
{
    public static GofluxException Api(int errCode, string description, GofluxStage stage = GofluxStage.Transport, string? subject = null)
        => new(stage, description, null, subject, errCode);

    public static GofluxException StreamNotFound() => Api(JetStreamErrorCodes.StreamNotFound, "stream not found");

    /// <summary>The server's answer to a pull request on a push consumer: status 409 (S-133).</summary>
    public static GofluxException PushBased() => new(GofluxStage.Subscribe, "Consumer is push based", null, null, 409);

    public static GofluxException ConsumerNotFound() => Api(JetStreamErrorCodes.ConsumerNotFound, "consumer not found");

    public static GofluxException InvalidStreamConfig(string reason) => Api(JetStreamErrorCodes.StreamInvalidConfig, reason);

    public static GofluxException Publish(int errCode, string description, string subject)
        => new(GofluxStage.Publish, description, null, subject, errCode) { PublishOutcome = PublishOutcome.Rejected };
}
