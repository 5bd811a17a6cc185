using System.Reflection;

namespace Smp.Devices.Cpu.Decoding;

/// <summary>
/// Finds the method behind a handler's function pointer, so the block compiler can emit a direct
/// (inlinable) call instead of an indirect one. Built once by enumerating every handler-shaped static
/// method of the core, generic ones instantiated over the value types that satisfy their constraints.
/// </summary>
internal static class HandlerMethods
{
    private static readonly Lazy<Dictionary<nint, MethodInfo>> Map = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The method whose entry point is <paramref name="pointer"/>, if it is a known handler.</summary>
    public static MethodInfo? Find(nint pointer) => Map.Value.TryGetValue(pointer, out var m) ? m : null;

    private static Dictionary<nint, MethodInfo> Build()
    {
        var assembly = typeof(CpuCore).Assembly;
        var valueTypes = assembly.GetTypes().Where(t => t.IsValueType && !t.IsGenericTypeDefinition && !t.IsEnum).ToArray();
        var map = new Dictionary<nint, MethodInfo>();
        foreach (var type in assembly.GetTypes())
            foreach (var method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!IsHandlerShaped(method)) continue;
                if (!method.IsGenericMethodDefinition)
                {
                    map[method.MethodHandle.GetFunctionPointer()] = method;
                    continue;
                }

                foreach (var arguments in Instantiations(method, valueTypes))
                {
                    try
                    {
                        var instance = method.MakeGenericMethod(arguments);
                        map[instance.MethodHandle.GetFunctionPointer()] = instance;
                    }
                    catch (ArgumentException)
                    {
                        // A combination that violates a constraint the simple filter did not see.
                    }
                }
            }

        return map;
    }

    private static bool IsHandlerShaped(MethodInfo m)
    {
        var ps = m.GetParameters();
        return m.ReturnType == typeof(void) && ps.Length == 2 && ps[0].ParameterType == typeof(CpuCore)
            && ps[1].ParameterType == typeof(Uop).MakeByRefType();
    }

    private static IEnumerable<Type[]> Instantiations(MethodInfo method, Type[] valueTypes)
    {
        IEnumerable<Type[]> combinations = [[]];
        foreach (var parameter in method.GetGenericArguments())
        {
            var constraints = parameter.GetGenericParameterConstraints();
            var candidates = valueTypes.Where(v => constraints.All(c => c == typeof(ValueType) || c.IsAssignableFrom(v))).ToArray();
            combinations = combinations.SelectMany(c => candidates.Select(x => (Type[])[.. c, x])).ToList();
        }

        return combinations;
    }
}
