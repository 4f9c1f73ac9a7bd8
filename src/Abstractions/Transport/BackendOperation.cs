namespace Goflux.Transport;

/// <summary>What an <see cref="IGofluxBackend"/> call was doing when it failed; see <see cref="BackendErrors"/>.</summary>
public enum BackendOperation
{
    /// <summary><see cref="IGofluxBackend.CreateOrUpdateStreamAsync"/>.</summary>
    CreateOrUpdateStream,

    /// <summary><see cref="IGofluxBackend.GetStreamInfoAsync"/>.</summary>
    GetStreamInfo,

    /// <summary><see cref="IGofluxBackend.DeleteStreamAsync"/>.</summary>
    DeleteStream,

    /// <summary><see cref="IGofluxBackend.CreateOrUpdateConsumerAsync"/>.</summary>
    CreateOrUpdateConsumer,

    /// <summary><see cref="IGofluxBackend.GetConsumerInfoAsync"/>.</summary>
    GetConsumerInfo,

    /// <summary><see cref="IGofluxBackend.DeleteConsumerAsync"/>.</summary>
    DeleteConsumer,

    /// <summary><see cref="IGofluxBackend.CreateSubscriberAsync"/>.</summary>
    CreateSubscriber,
}
