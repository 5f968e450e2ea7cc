export { createCronTicker, type CronTicker, type CronTickerParameters } from './ticker.ts'
export { parseCronSchedule, nextCronTick, InvalidCronScheduleError, type CronSchedule } from './schedule.ts'
