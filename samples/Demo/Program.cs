using System.Diagnostics;
using System.Globalization;
using Goflux;
using Goflux.Demo;
using Goflux.Streaming;
using NATS.Client.JetStream.Models;

// The seed's three goflux examples, on the in-memory engine (default) or a real nats-server (NATS_URL set).
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var wall = Stopwatch.StartNew();
var url = Environment.GetEnvironmentVariable("NATS_URL");
await using var backend = string.IsNullOrEmpty(url) ? DemoBackend.InMemory() : await DemoBackend.ConnectAsync(url);
var guard = TimeSpan.FromSeconds(30); // a hang guard on the wall clock, never a timing assumption

Console.WriteLine($"backend: {backend.Description}");
Console.WriteLine(string.IsNullOrEmpty(url) ? "         (set NATS_URL=nats://127.0.0.1:4222 to run the same program against a real server)" : "         (unset NATS_URL to run the same program on the in-memory engine)");

await PushSubscribeWithAutoAckAsync();
await ManualAckWithNakDelayAsync();
await PullWithBoundedConcurrencyAndRetryAsync();

Console.WriteLine();
Console.WriteLine($"done: 3 examples in {wall.Elapsed.TotalMilliseconds:0} ms of wall time");
return 0;

string T() => $"t=+{backend.Elapsed.TotalSeconds:0.000}s {(backend.VirtualTime ? "virtual" : "wall")}";

static ConsumerConfig Durable(string name) => new(name)
{
    AckPolicy = ConsumerConfigAckPolicy.Explicit,
    AckWait = TimeSpan.FromSeconds(30),
    MaxDeliver = 5,
};

// (a) A durable push consumer with a filter subject: the server pushes to its deliver subject, the subscriber listens
// there and acks when the handler returns (auto-ack), naks when it throws.
async Task PushSubscribeWithAutoAckAsync()
{
    Console.WriteLine();
    Console.WriteLine("== (a) Push subscribe with auto-ack");
    await backend.CreateStreamAsync(new StreamConfig("DEMO_A", ["demo.a.>"]) { Storage = StreamConfigStorage.Memory });
    var printer = Durable("printer");
    printer.DeliverSubject = "demo.deliver.printer";
    printer.FilterSubject = "demo.a.events";
    await using var subscriber = await backend.CreateSubscriberAsync("DEMO_A", printer, SubscriberOptions.Default);

    var events = new[] { new Event("1", "signed-up"), new Event("2", "logged-in"), new Event("3", "logged-out") };
    var received = 0;
    var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    using var stop = new CancellationTokenSource();
    var subscription = subscriber.SubscribeAsync(
        "demo.a.events",
        (message, _) =>
        {
            var e = message.Payload;
            Console.WriteLine($"   handler: Event(Id={e.Id}, Name={e.Name}) on {message.Subject}, stream seq {message.Delivery?.StreamSequence}, delivery #{message.Delivery?.NumDelivered} -> returns, auto-ack");
            if (Interlocked.Increment(ref received) == events.Length)
            {
                all.TrySetResult();
            }

            return ValueTask.CompletedTask;
        },
        stop.Token);

    foreach (var e in events)
    {
        var ack = await backend.Publisher.PublishAsync("demo.a.events", e);
        Console.WriteLine($"   published Event(Id={e.Id}, Name={e.Name}) -> stream {ack.Stream}, seq {ack.Sequence}");
    }

    await all.Task.WaitAsync(guard);
    await backend.SettleAsync();
    Console.WriteLine($"   consumer 'printer': {await backend.CountersAsync("DEMO_A", "printer")}");
    await stop.CancelAsync();
    await subscription;
}

// (b) Manual ack: the handler naks the first delivery with a delay and acks the redelivery.
async Task ManualAckWithNakDelayAsync()
{
    Console.WriteLine();
    Console.WriteLine("== (b) Manual ack: nak with delay, then ack the redelivery");
    await backend.CreateStreamAsync(new StreamConfig("DEMO_B", ["demo.b.>"]) { Storage = StreamConfigStorage.Memory });
    await using var subscriber = await backend.CreateSubscriberAsync("DEMO_B", Durable("mailer"), SubscriberOptions.Default with { ManualAck = true });

    var delay = backend.RetryDelay;
    var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    using var stop = new CancellationTokenSource();
    var subscription = subscriber.SubscribeAsync(
        "demo.b.emails",
        async (message, ct) =>
        {
            var n = message.Delivery?.NumDelivered;
            if (n == 1)
            {
                await message.NakAsync(delay, ct);
                Console.WriteLine($"   {T()}: delivery NumDelivered={n} of Event(Id={message.Payload.Id}) -> NakAsync({delay.TotalSeconds:0.###} s): mail server busy, try later");
                first.TrySetResult();
            }
            else
            {
                await message.AckAsync(ct);
                Console.WriteLine($"   {T()}: delivery NumDelivered={n} of Event(Id={message.Payload.Id}), redelivered={message.Delivery?.Redelivered} -> AckAsync");
                done.TrySetResult();
            }
        },
        stop.Token);

    Console.WriteLine($"   {T()}: publishing Event(Id=42, Name=welcome-mail)");
    await backend.Publisher.PublishAsync("demo.b.emails", new Event("42", "welcome-mail"));
    await first.Task.WaitAsync(guard);
    await backend.SettleAsync();
    Console.WriteLine($"   consumer 'mailer': {await backend.CountersAsync("DEMO_B", "mailer")}");
    Console.WriteLine(backend.VirtualTime
        ? $"   advancing virtual time by {delay.TotalSeconds:0} s (engine.AdvanceAsync) ..."
        : $"   waiting {delay.TotalSeconds:0.###} s of real time for the redelivery ...");
    await backend.LetTimePassAsync(delay);
    await done.Task.WaitAsync(guard);
    await backend.SettleAsync();
    Console.WriteLine($"   consumer 'mailer': {await backend.CountersAsync("DEMO_B", "mailer")}");
    await stop.CancelAsync();
    await subscription;
}

// (c) Pull into a bounded channel, process with bounded concurrency, settle with a retry policy.
async Task PullWithBoundedConcurrencyAndRetryAsync()
{
    Console.WriteLine();
    Console.WriteLine("== (c) ToChannel(16) + ProcessAsync(5, ...) with Middleware.RetryAck(RetryPolicy)");
    await backend.CreateStreamAsync(new StreamConfig("DEMO_C", ["demo.c.>"]) { Storage = StreamConfigStorage.Memory });
    await using var subscriber = await backend.CreateSubscriberAsync("DEMO_C", Durable("billing"), SubscriberOptions.Default with { ManualAck = true });

    var policy = RetryPolicy.Default with { InitialDelay = backend.RetryDelay, MaxDelay = backend.RetryDelay * 4, MaxAttempts = 3 };
    Console.WriteLine($"   policy: first retry after {policy.InitialDelay.TotalSeconds:0.###} s, x{policy.Multiplier}, at most {policy.MaxAttempts} attempts; NonRetryableException -> term");

    const int Count = 8;
    var attempts = 0;
    var settled = 0;
    var running = 0;
    var maxRunning = 0;
    var firstPass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var allSettled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    MessageHandler<Event> work = async (message, ct) =>
    {
        var now = Interlocked.Increment(ref running);
        InterlockedMax(ref maxRunning, now);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, ct); // 20 ms of "work" on the wall clock
            var e = message.Payload;
            var n = message.Delivery?.NumDelivered ?? 1;
            if (e.Id == "order-3" && n == 1)
            {
                throw new TimeoutException("payment service timed out");
            }

            if (e.Id == "order-6")
            {
                throw new NonRetryableException("card number is malformed");
            }
        }
        finally
        {
            Interlocked.Decrement(ref running);
        }
    };

    // Outermost: report how RetryAck settled each delivery.
    Middleware<Event> report = next => async (message, ct) =>
    {
        await next(message, ct);
        var what = message.Outcome switch
        {
            AckOutcome.Acked => "acked",
            AckOutcome.NakedWithDelay => $"failed (retryable) -> nak with delay {message.NakDelay?.TotalSeconds:0.###} s",
            AckOutcome.Terminated => $"terminated ({message.TermReason})",
            _ => message.Outcome.ToString(),
        };
        Console.WriteLine($"   {T()}: {message.Payload.Id} delivery #{message.Delivery?.NumDelivered}: {what}");
        if (Interlocked.Increment(ref attempts) == Count)
        {
            firstPass.TrySetResult();
        }

        if (message.Outcome is AckOutcome.Acked or AckOutcome.Terminated && Interlocked.Increment(ref settled) == Count)
        {
            allSettled.TrySetResult();
        }
    };

    using var stop = new CancellationTokenSource();
    var reader = subscriber.ToChannel("demo.c.orders", 16, stop.Token);
    var processing = reader.ProcessAsync(5, Middleware.Apply(work, report, Middleware.RetryAck<Event>(policy)), stop.Token);

    for (var i = 1; i <= Count; i++)
    {
        await backend.Publisher.PublishAsync("demo.c.orders", new Event($"order-{i}", "charge"));
    }

    Console.WriteLine($"   {T()}: published order-1 .. order-{Count}; order-3 fails once (TimeoutException), order-6 throws NonRetryableException");
    await firstPass.Task.WaitAsync(guard);
    Console.WriteLine(backend.VirtualTime
        ? $"   advancing virtual time by {policy.InitialDelay.TotalSeconds:0} s (engine.AdvanceAsync) ..."
        : $"   waiting {policy.InitialDelay.TotalSeconds:0.###} s of real time for the retry ...");
    await backend.LetTimePassAsync(policy.InitialDelay);
    await allSettled.Task.WaitAsync(guard);
    await backend.SettleAsync();
    Console.WriteLine($"   at most {maxRunning} handlers ran at once (limit 5)");
    Console.WriteLine($"   consumer 'billing': {await backend.CountersAsync("DEMO_C", "billing")}");
    foreach (var advisory in backend.Advisories("DEMO_C"))
    {
        Console.WriteLine($"   advisory: {advisory}");
    }

    await stop.CancelAsync();
    await processing;
}

static void InterlockedMax(ref int target, int value)
{
    var current = Volatile.Read(ref target);
    while (value > current)
    {
        var seen = Interlocked.CompareExchange(ref target, value, current);
        if (seen == current)
        {
            return;
        }

        current = seen;
    }
}
