using Microsoft.Extensions.Options;

namespace Goflux.Hosting.Internal;

internal sealed class GofluxOptionsValidator(GofluxRegistry registry) : IValidateOptions<GofluxOptions>
{
    public ValidateOptionsResult Validate(string? name, GofluxOptions options)
    {
        if (options.StartTimeout <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{registry.Section}:StartTimeout must be positive (was {options.StartTimeout}).");
        }

        return ValidateOptionsResult.Success;
    }
}

internal sealed class GofluxHandlerOptionsValidator(GofluxRegistry registry) : IValidateOptions<GofluxHandlerOptions>
{
    public static string SectionOf(string root, string stream, string consumer) => $"{root}:Consumers:{stream}:{consumer}";

    public ValidateOptionsResult Validate(string? name, GofluxHandlerOptions options)
    {
        if (registry.Handlers.FirstOrDefault(h => GofluxHandlerOptions.NameOf(h.Stream, h.Consumer) == name) is not { } handler)
        {
            return ValidateOptionsResult.Skip;
        }

        var key = SectionOf(registry.Section, handler.Stream, handler.Consumer);
        var errors = new List<string>();
        if (options.MaxConcurrency is < 1 or > GofluxHandlerOptions.MaxConcurrencyLimit)
        {
            errors.Add($"{key}:MaxConcurrency must be between 1 and {GofluxHandlerOptions.MaxConcurrencyLimit} (was {options.MaxConcurrency}).");
        }

        if (options.MaxMessages < 1)
        {
            errors.Add($"{key}:MaxMessages must be at least 1 (was {options.MaxMessages}).");
        }

        if (options.Subject is { } subject && !Subjects.IsValidPattern(subject))
        {
            errors.Add($"{key}:Subject must be a valid subject or pattern (was '{subject}').");
        }

        if (options.MaxConcurrency > 1
            && registry.Consumers.FirstOrDefault(c => c.Stream == handler.Stream && c.Name == handler.Consumer) is { Config: { DeliverSubject.Length: > 0 } push }
            && string.IsNullOrEmpty(push.DeliverGroup))
        {
            // Every subscription on a push consumer's deliver subject receives every message unless they share a queue group.
            errors.Add($"{key}:MaxConcurrency must be 1 for push consumer '{handler.Consumer}' without a DeliverGroup (was {options.MaxConcurrency}): each worker would receive every message. Set ConsumerConfig.DeliverGroup to share the messages between workers.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
