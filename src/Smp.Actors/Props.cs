namespace Smp.Actors;

/// <summary>
/// An immutable recipe for creating an actor. The system calls the factory once per
/// spawn, on the spawning thread, so the factory must return a new instance each time.
/// </summary>
public sealed class Props
{
    private Props(Func<Actor> factory, Type actorType)
    {
        Factory = factory;
        ActorType = actorType;
    }

    /// <summary>The type of actor the recipe creates, for diagnostics.</summary>
    public Type ActorType { get; }

    /// <summary>The factory that creates a fresh actor instance.</summary>
    internal Func<Actor> Factory { get; }

    /// <summary>A recipe for an actor with a parameterless constructor.</summary>
    /// <typeparam name="T">The actor type.</typeparam>
    /// <returns>The recipe.</returns>
    public static Props Create<T>()
        where T : Actor, new() => new(static () => new T(), typeof(T));

    /// <summary>
    /// A recipe that calls <paramref name="factory"/>, for actors with constructor arguments:
    /// <c>Props.Create(() =&gt; new Cpu(id, memory))</c>.
    /// </summary>
    /// <typeparam name="T">The actor type.</typeparam>
    /// <param name="factory">Creates a new actor instance each time it is called.</param>
    /// <returns>The recipe.</returns>
    public static Props Create<T>(Func<T> factory)
        where T : Actor
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(factory, typeof(T));
    }

    /// <summary>The recipe's actor type, for diagnostics.</summary>
    /// <returns>For example <c>Props(Cpu)</c>.</returns>
    public override string ToString() => $"Props({ActorType.Name})";
}
