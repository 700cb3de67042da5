// The tests start hub processes and put one under load; run them one at a time so a kill test does not
// share the machine's cores with other hub processes of this assembly.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
