local R = {}
function R.slect(gen, cands) return {} end
return R
