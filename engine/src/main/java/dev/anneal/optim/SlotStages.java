package dev.anneal.optim;

import java.util.AbstractList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The stages each parameter of a bucket runs in one step: one list for all of them, until a stage
 * gives a parameter its own (a total per tensor, scalars per tensor). A step over 10,000 small
 * tensors then neither fills 10,000 places nor gathers 10,000 lists to find the few distinct ones.
 */
final class SlotStages extends AbstractList<List<Stage>> {
    private final int size;
    private final List<Stage> shared;
    private List<Stage>[] own;

    SlotStages(int size, List<Stage> shared) {
        this.size = size;
        this.shared = shared;
    }

    @Override
    public List<Stage> get(int slot) {
        Objects.checkIndex(slot, size);
        return own == null || own[slot] == null ? shared : own[slot];
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Stage> set(int slot, List<Stage> stages) {
        List<Stage> before = get(slot);
        if (own == null) {
            own = new List[size];
        }
        own[slot] = stages;
        return before;
    }

    @Override
    public int size() {
        return size;
    }

    /** The lists parameters run, each once (the shared one always). */
    Set<List<Stage>> distinct() {
        Set<List<Stage>> lists = Collections.newSetFromMap(new IdentityHashMap<>());
        lists.add(shared);
        if (own != null) {
            for (List<Stage> stages : own) {
                if (stages != null) {
                    lists.add(stages);
                }
            }
        }
        return lists;
    }
}
