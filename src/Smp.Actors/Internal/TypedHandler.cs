namespace Smp.Actors.Internal;

/// <summary>A <c>Receive&lt;T&gt;</c> clause: matches messages of type <typeparamref name="T"/> that pass the optional predicate.</summary>
internal sealed class TypedHandler<T>(Action<T> action, Func<T, bool>? predicate) : Handler
{
    public override bool TryHandle(object message)
    {
        if (message is T typed && (predicate is null || predicate(typed)))
        {
            action(typed);
            return true;
        }

        return false;
    }
}
