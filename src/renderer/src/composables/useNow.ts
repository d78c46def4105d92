// A clock ref that ticks while the component is mounted, so "next attempt in 4 min" does not go stale.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

export function useNow(intervalMs = 30_000): Ref<number> {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    timer = setInterval(() => {
      now.value = Date.now()
    }, intervalMs)
  })
  onBeforeUnmount(() => clearInterval(timer))
  return now
}
